"""SME loan applications: the quote and its schedule, applying with it, a credit officer's
approval, four eyes above the threshold through the one engine, the loan paid out in legs of
at most KES 250,000, a failed leg's rule, one open SME loan per business (docs/sme.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.approvals import engine
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.clock import business_date
from app.errors import DomainError
from app.lending.models import Loan, LoanInstalment, LoanStatus
from app.lending.payout_legs import LEG_MAX_MINOR, plan_legs
from app.lending.quotes import Split
from app.onboarding.service import opt_out
from app.payments.models import PayoutStatus
from app.payments.payouts import record_payout_result, submit_payout
from app.sme.applications import Application, apply
from app.sme.models import ApplicationStatus
from app.sme.quotes import Ask
from integrations.payments.memory import INSUFFICIENT_FUNDS
from integrations.phone import normalise_msisdn
from ledger import Ledger
from tests.support.lending import GOOD_PHONE, KES, Fund
from tests.support.sme import (
    apply_for,
    loan_payouts,
    officer_approves,
    open_business,
    owner_applying,
    quote,
    second_approves,
    send_legs,
    stored_application,
)
from tests.support.staff import staff

pytestmark = pytest.mark.slow


def _loan(fund: Fund, loan_id: int) -> Loan:
    with fund.sessions.reader() as session:
        loan = session.get(Loan, loan_id)
        assert loan is not None
        return loan


def test_legs_are_even_whole_shillings_of_at_most_250000() -> None:
    split = Split(1_176_000 * KES, 24_000 * KES, 0)
    legs = plan_legs(split)
    assert [leg.cash_minor for leg in legs] == [235_200 * KES] * 5
    assert legs[0].principal_minor == 235_200 * KES + 24_000 * KES
    assert sum(leg.principal_minor for leg in legs) == 1_200_000 * KES
    odd = plan_legs(Split(500_003 * KES, 0, 0))
    assert [leg.cash_minor for leg in odd] == [166_668 * KES, 166_668 * KES, 166_667 * KES]
    assert plan_legs(Split(250_000 * KES, 0, 0))[0].cash_minor == LEG_MAX_MINOR
    assert len(plan_legs(Split(250_001 * KES, 0, 0))) == 2


def test_a_small_loan_approved_by_one_officer_is_paid_out_and_starts(fund: Fund) -> None:
    owner = fund.register()
    business = open_business(fund, owner)
    q = quote(fund, owner, 200_000 * KES, 6)
    assert q.instalments is not None
    assert len(q.instalments) == 6
    application = apply_for(fund, owner, 200_000 * KES, 6)
    assert application.status == ApplicationStatus.PENDING
    assert len(application.quoted["instalments"]) == 6
    approved = officer_approves(fund, application.id)
    assert approved.status == ApplicationStatus.APPROVED
    assert approved.loan_id is not None
    loan = _loan(fund, approved.loan_id)
    assert (loan.business_id, loan.borrower_id, loan.status) == (business.id, owner, "disbursing")
    send_legs(fund, loan.id)
    loan = _loan(fund, loan.id)
    assert loan.status == LoanStatus.ACTIVE
    assert loan.principal_outstanding_minor == 200_000 * KES
    with fund.sessions.reader() as session:
        rows = session.scalars(select(LoanInstalment).where(LoanInstalment.loan_id == loan.id))
        assert len(list(rows)) == 6
    fund.assert_books_agree()


def test_above_the_threshold_a_second_officer_approves_and_legs_pay_it(fund: Fund) -> None:
    application_id = owner_applying(fund, 2_000_000 * KES, 1_200_000 * KES, 12)
    waiting = officer_approves(fund, application_id)
    assert (waiting.status, waiting.loan_id) == (ApplicationStatus.AWAITING_SECOND, None)
    assert waiting.approval_request_id is not None
    with pytest.raises(DomainError) as same:  # the maker cannot be the checker
        second_approves(fund, waiting.approval_request_id, checker="otieno")
    assert same.value.code == "four_eyes"
    decision = second_approves(fund, waiting.approval_request_id)
    assert decision.approval.status == ApprovalStatus.APPROVED
    loan_id = stored_application(fund, application_id).loan_id
    assert loan_id is not None
    payouts = loan_payouts(fund, loan_id)
    # 2% savings: 1,176,000 of cash in 5 legs of 235,200
    assert [p.amount_minor for p in payouts] == [235_200 * KES] * 5
    assert len({p.idempotency_key for p in payouts}) == 5
    submit_first = payouts[0]
    submit_payout(fund.sessions, fund.ports, fund.clock, submit_first.id)
    for result in fund.provider.deliver():
        with fund.sessions.unit_of_work() as session:
            record_payout_result(session, Ledger(session, fund.clock), result, fund.clock())
    assert _loan(fund, loan_id).status == LoanStatus.DISBURSING  # one leg of five arrived
    send_legs(fund, loan_id)
    loan = _loan(fund, loan_id)
    assert (loan.status, loan.principal_outstanding_minor) == (
        LoanStatus.ACTIVE,
        1_200_000 * KES,
    )
    assert all(order.amount_minor <= LEG_MAX_MINOR for order in fund.provider.payouts.values())
    fund.assert_books_agree()


def test_a_leg_that_fails_for_good_is_not_lent(fund: Fund) -> None:
    application_id = owner_applying(fund, 600_000 * KES, 510_000 * KES, 3)
    loan_id = officer_approves(fund, application_id).loan_id
    assert loan_id is not None
    first, *rest = loan_payouts(fund, loan_id)
    submit_payout(fund.sessions, fund.ports, fund.clock, first.id)
    fund.provider.outcomes_by_msisdn[normalise_msisdn(GOOD_PHONE)] = INSUFFICIENT_FUNDS
    send_legs(fund, loan_id)
    statuses = [p.status for p in loan_payouts(fund, loan_id)]
    assert statuses == [PayoutStatus.SUCCEEDED] + [PayoutStatus.FAILED] * len(rest)
    loan = _loan(fund, loan_id)
    assert loan.status == LoanStatus.ACTIVE
    assert loan.principal_outstanding_minor == first.principal_minor
    with fund.sessions.reader() as session:
        rows = list(
            session.scalars(select(LoanInstalment).where(LoanInstalment.loan_id == loan_id))
        )
    assert sum(r.principal_minor for r in rows) == first.principal_minor
    fund.assert_books_agree()


def test_refusals_are_clear(fund: Fund) -> None:
    owner = fund.register()
    with pytest.raises(DomainError) as no_business:
        quote(fund, owner, 200_000 * KES, 6)
    assert (no_business.value.code, no_business.value.http_status) == ("no_business", 404)
    business = open_business(fund, owner)
    for amount, term, code in [
        (50_000 * KES, 6, "amount_below_minimum"),
        (6_000_000 * KES, 6, "amount_above_maximum"),
        (200_000 * KES, 2, "term_outside_range"),
        (200_000 * KES, 13, "term_outside_range"),
        (200_000 * KES + 50, 6, "amount_not_whole_shillings"),
        (business.limit_minor + 1_000 * KES, 6, "over_limit"),
    ]:
        with pytest.raises(DomainError) as refused:
            quote(fund, owner, amount, term)
        assert refused.value.code == code
        assert 400 <= refused.value.http_status < 500
    q = quote(fund, owner, 200_000 * KES, 6)
    assert q.instalments is not None
    wrong = [(i.due_date, i.total_minor + 1) for i in q.instalments]
    with pytest.raises(DomainError) as stale, fund.sessions.unit_of_work() as session:
        apply(
            session,
            owner,
            Application(Ask(200_000 * KES, 6), wrong, "k-wrong"),
            business_date(fund.clock()),
            fund.clock(),
        )
    assert stale.value.code == "quote_changed"
    first = apply_for(fund, owner, 200_000 * KES, 6, key="k1")
    assert apply_for(fund, owner, 200_000 * KES, 6, key="k1").id == first.id  # a resend
    with pytest.raises(DomainError) as open_one:
        apply_for(fund, owner, 150_000 * KES, 6, key="k2")
    assert open_one.value.code == "application_open"
    loan_id = officer_approves(fund, first.id).loan_id
    assert loan_id is not None
    with pytest.raises(DomainError) as decided:
        officer_approves(fund, first.id)
    assert decided.value.code == "application_decided"
    with pytest.raises(DomainError) as open_loan:
        apply_for(fund, owner, 150_000 * KES, 6, key="k3")
    assert open_loan.value.code == "sme_loan_open"
    with pytest.raises(DomainError) as no_leaving, fund.sessions.unit_of_work() as session:
        opt_out(session, owner, fund.clock())  # an SME loan of theirs keeps them in
    assert no_leaving.value.code == "open_loan"
    # a personal loan beside it is the owner's own business
    assert fund.borrow(owner, 500 * KES).status in ("succeeded", "submitted", "pending")


def test_the_database_holds_one_open_sme_loan_per_business(fund: Fund) -> None:
    owner = fund.register()
    business = open_business(fund, owner)
    loan_id = officer_approves(fund, apply_for(fund, owner, 200_000 * KES, 3).id).loan_id
    assert loan_id is not None
    with fund.sessions.reader() as session:
        rows = session.execute(select(Loan.__table__)).mappings().all()
    row = dict(next(r for r in rows if r["id"] == loan_id))
    row.update(id=loan_id + 100, account_number="TDUPLICATE")
    with pytest.raises(IntegrityError), fund.sessions.unit_of_work() as session:
        session.execute(Loan.__table__.insert().values(**row))
    with pytest.raises(IntegrityError), fund.sessions.unit_of_work() as session:
        session.execute(
            update(Loan)
            .where(Loan.id == loan_id)
            .values(credit_limit_minor=business.limit_minor + 1)
        )
    assert GOOD_PHONE


def test_rejected_by_the_second_officer_rejects_the_application(fund: Fund) -> None:
    application_id = owner_applying(fund, 2_000_000 * KES, 1_500_000 * KES, 12)
    approval_id = officer_approves(fund, application_id).approval_request_id
    assert approval_id is not None
    with fund.sessions.unit_of_work() as session:
        engine.reject(session, approval_id, staff("amina"), "cash flow too thin", fund.clock())
    stored = stored_application(fund, application_id)
    assert (stored.status, stored.loan_id) == (ApplicationStatus.REJECTED, None)
    with fund.sessions.reader() as session:
        request = session.get(ApprovalRequest, approval_id)
        assert request is not None
        assert request.status == ApprovalStatus.REJECTED
