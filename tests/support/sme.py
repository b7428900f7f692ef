"""Driving SME loans in tests: a business, a quote, an application, the officers' decisions,
and the payouts of its legs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from app.admin.approval_kinds import HANDLERS
from app.approvals import engine as approvals
from app.approvals.engine import Decision
from app.clock import business_date
from app.lending.quotes import Quote
from app.payments.models import Payout, PayoutStatus
from app.payments.payouts import record_payout_result, submit_payout
from app.sme.applications import Application, Approver, apply, approve
from app.sme.approval_kind import SME_LOAN_APPROVAL
from app.sme.models import Business, SmeApplication
from app.sme.quotes import Ask, quote_sme
from app.sme.registration import NewBusiness, register_business
from ledger import Ledger
from tests.support.lending import Fund
from tests.support.staff import staff

BIG_TILL = "123409"
"""Takings about KES 1,000,000 a month, half paid out: about KES 500,000 net."""


def open_business(fund: Fund, owner: int, till: str = BIG_TILL) -> Business:
    now = fund.clock()
    with fund.sessions.unit_of_work() as session:
        new = NewBusiness("PVT-AJU7QL9", "P051234567X", till)
        business = register_business(session, fund.ports, owner, new, business_date(now), now)
        session.expunge(business)
        return business


def set_business_limit(fund: Fund, business_id: int, limit_minor: int) -> None:
    """A test's shortcut past the cash-flow rule (as an override would)."""
    with fund.sessions.unit_of_work() as session:
        session.execute(
            update(Business).where(Business.id == business_id).values(limit_minor=limit_minor)
        )


def quote(fund: Fund, owner: int, amount_minor: int, instalments: int) -> Quote:
    with fund.sessions.reader() as session:
        return quote_sme(
            session, owner, Ask(amount_minor, instalments), business_date(fund.clock())
        )


def schedule_pairs(q: Quote) -> list[tuple[date, int]]:
    assert q.instalments is not None
    return [(i.due_date, i.total_minor) for i in q.instalments]


def apply_for(
    fund: Fund, owner: int, amount_minor: int, instalments: int, key: str = "sme-1"
) -> SmeApplication:
    pairs = schedule_pairs(quote(fund, owner, amount_minor, instalments))
    now = fund.clock()
    with fund.sessions.unit_of_work() as session:
        application = apply(
            session,
            owner,
            Application(Ask(amount_minor, instalments), pairs, key),
            business_date(now),
            now,
        )
        session.expunge(application)
        return application


def officer_approves(fund: Fund, application_id: int, officer: str = "otieno") -> SmeApplication:
    with fund.sessions.unit_of_work() as session:
        application = approve(
            session,
            Ledger(session, fund.clock),
            application_id,
            Approver(staff(officer), SME_LOAN_APPROVAL),
            fund.clock(),
        )
        session.expunge(application)
        return application


def second_approves(fund: Fund, approval_id: int, checker: str = "amina") -> Decision:
    with fund.sessions.unit_of_work() as session:
        return approvals.approve(
            session,
            Ledger(session, fund.clock),
            HANDLERS,
            approval_id,
            staff(checker),
            fund.clock(),
        )


def stored_application(fund: Fund, application_id: int) -> SmeApplication:
    with fund.sessions.reader() as session:
        found = session.get(SmeApplication, application_id)
        assert found is not None
        return found


def loan_payouts(fund: Fund, loan_id: int) -> list[Payout]:
    with fund.sessions.reader() as session:
        return list(
            session.scalars(select(Payout).where(Payout.loan_id == loan_id).order_by(Payout.id))
        )


def send_legs(fund: Fund, loan_id: int) -> None:
    """Send every pending leg, then deliver the provider's results."""
    for payout in loan_payouts(fund, loan_id):
        if payout.status == PayoutStatus.PENDING:
            submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    for result in fund.provider.deliver():
        with fund.sessions.unit_of_work() as session:
            record_payout_result(session, Ledger(session, fund.clock), result, fund.clock())


def owner_applying(fund: Fund, limit_minor: int, amount_minor: int, instalments: int) -> int:
    """A new owner's business with ``limit_minor`` applies; returns the application's id."""
    owner = fund.register()
    business = open_business(fund, owner)
    set_business_limit(fund, business.id, limit_minor)
    return apply_for(fund, owner, amount_minor, instalments).id
