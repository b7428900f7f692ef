"""SME loan applications: the owner applies with the schedule they were quoted; a credit
officer approves or rejects; above the product's threshold a second officer approves through
the one four-eyes engine (``app.sme.approval_kind``); an approved application becomes a loan
paid out in legs (``app.lending.payout_legs``).

Every rule is checked again when approved and when paid out (the owner's standing, the
business's limit, no open SME loan): ``app.sme.quotes.checked_terms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals.engine import Ask as EngineAsk
from app.approvals.engine import submit
from app.approvals.kinds import ApprovalHandler
from app.audit.log import Actor, record
from app.borrowers.models import Borrower
from app.lending import errors as lending_errors
from app.lending.origination import new_loan
from app.lending.payout_legs import pay_out_in_legs
from app.lending.quotes import split_disbursement
from app.payments.models import Payout
from app.products.terms import ProductTerms
from app.sme import errors
from app.sme.limits import business_product
from app.sme.models import ApplicationStatus, Business, SmeApplication
from app.sme.quotes import Ask, checked_terms, quote_sme, require_business, schedule_of
from ledger import Ledger

OPEN = (ApplicationStatus.PENDING, ApplicationStatus.AWAITING_SECOND)


@dataclass(frozen=True, slots=True)
class Application:
    ask: Ask
    schedule: Sequence[tuple[date, int]]
    """The quoted schedule the owner accepts: each instalment's due date and total."""
    request_key: str


def apply(
    session: Session, owner_id: int, application: Application, today: date, now: datetime
) -> SmeApplication:
    """Record an application (a resend of its key returns the first), or refuse it."""
    business = require_business(session, owner_id)
    earlier = session.scalar(
        select(SmeApplication).where(SmeApplication.request_key == application.request_key)
    )
    if earlier is not None:
        if earlier.business_id != business.id or (earlier.amount_minor, earlier.instalments) != (
            application.ask.amount_minor,
            application.ask.instalments,
        ):
            raise lending_errors.RequestKeyReused("This request key was used for another request")
        return earlier
    quote = quote_sme(session, owner_id, application.ask, today)
    schedule = schedule_of(quote)
    if [(date.fromisoformat(row["due_on"]), row["total_minor"]) for row in schedule] != list(
        application.schedule
    ):
        raise errors.QuoteChanged("The schedule is not today's quote: ask for a new quote")
    if _open_application(session, business.id) is not None:
        raise errors.ApplicationOpen("Your business has an application waiting for a decision")
    row = SmeApplication(
        business_id=business.id,
        request_key=application.request_key,
        amount_minor=application.ask.amount_minor,
        instalments=application.ask.instalments,
        quoted={
            "quoted_on": today.isoformat(),
            "cash_minor": quote.cash_minor,
            "savings_minor": quote.savings_minor,
            "interest_minor": quote.interest_to_due_minor,
            "total_minor": quote.total_due_minor,
            "rate_bp": quote.regular_rate_bp,
            "instalments": schedule,
        },
        status=ApplicationStatus.PENDING,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _open_application(session: Session, business_id: int) -> SmeApplication | None:
    return session.scalar(
        select(SmeApplication).where(
            SmeApplication.business_id == business_id, SmeApplication.status.in_(OPEN)
        )
    )


def get_application(session: Session, application_id: int, lock: bool = False) -> SmeApplication:
    found = session.get(
        SmeApplication, application_id, with_for_update=lock, populate_existing=lock
    )
    if found is None:
        raise errors.ApplicationNotFound(f"No SME application {application_id}")
    return found


def recheck(
    session: Session, application: SmeApplication
) -> tuple[Business, Borrower, ProductTerms]:
    """The application's rules checked again now (the owner locked): its business, owner and
    terms."""
    business = session.get(Business, application.business_id)
    assert business is not None
    ask = Ask(application.amount_minor, application.instalments)
    owner, terms, _ = checked_terms(session, business, ask, lock=True)
    return business, owner, terms


@dataclass(frozen=True, slots=True)
class Approver:
    """The officer deciding, and the second-approval kind (the staff channel passes it)."""

    actor: Actor
    second_approval: ApprovalHandler


def approve(
    session: Session, ledger: Ledger, application_id: int, approver: Approver, now: datetime
) -> SmeApplication:
    """A credit officer's approval: paid out now, or, above the product's threshold, a
    four-eyes request for a second officer."""
    application = get_application(session, application_id, lock=True)
    if application.status != ApplicationStatus.PENDING:
        raise errors.ApplicationDecided(f"Application {application.id} is {application.status}")
    recheck(session, application)
    _, rules = business_product(session)
    application.decided_by = approver.actor.username
    if application.amount_minor > rules.four_eyes_above_minor:
        application.status = ApplicationStatus.AWAITING_SECOND  # what the request checks
        session.flush()
        submitted = submit(
            session,
            ledger,
            EngineAsk(
                approver.second_approval,
                {"application_id": application.id},
                f"SME loan of application {application.id} above the four-eyes threshold",
            ),
            approver.actor,
            now,
        )
        application.approval_request_id = submitted.approval.id
        session.flush()
        return application
    before = _state(application)
    pay_out(session, ledger, application, now)
    record(
        session,
        approver.actor,
        "sme.application.approve",
        ("sme_application", application.id),
        now,
        before,
        _state(application),
    )
    return application


def reject(
    session: Session, application_id: int, actor: Actor, reason: str, now: datetime
) -> SmeApplication:
    application = get_application(session, application_id, lock=True)
    if application.status != ApplicationStatus.PENDING:
        raise errors.ApplicationDecided(f"Application {application.id} is {application.status}")
    before = _state(application)
    close_rejected(application, actor.username, reason, now)
    record(
        session,
        actor,
        "sme.application.reject",
        ("sme_application", application.id),
        now,
        before,
        _state(application),
    )
    return application


def close_rejected(application: SmeApplication, by: str | None, reason: str, now: datetime) -> None:
    application.status = ApplicationStatus.REJECTED
    application.decided_by = by
    application.reason = reason[:300]
    application.decided_at = now


def pay_out(
    session: Session, ledger: Ledger, application: SmeApplication, now: datetime
) -> list[Payout]:
    """The loan of an approved application, paid out in legs."""
    business, owner, terms = recheck(session, application)
    loan = new_loan(
        session, owner, terms, now, business_id=business.id, credit_limit_minor=business.limit_minor
    )
    split = split_disbursement(application.amount_minor, terms)
    payouts = pay_out_in_legs(
        session, ledger, loan, split, f"sme-application:{application.id}", now
    )
    application.status = ApplicationStatus.APPROVED
    application.loan_id = loan.id
    application.decided_at = now
    session.flush()
    return payouts


def _state(application: SmeApplication) -> dict[str, Any]:
    return {
        "status": application.status,
        "amount_minor": application.amount_minor,
        "instalments": application.instalments,
        "loan_id": application.loan_id,
    }


def applications_of(
    session: Session, business_id: int | None = None, status: str | None = None, limit: int = 100
) -> list[SmeApplication]:
    query = select(SmeApplication).order_by(SmeApplication.id.desc()).limit(limit)
    if business_id is not None:
        query = query.where(SmeApplication.business_id == business_id)
    if status is not None:
        query = query.where(SmeApplication.status == status)
    return list(session.scalars(query))
