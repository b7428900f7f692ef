"""The loan side of a disbursement's outcome.

Success: the principal becomes outstanding, the savings withheld are credited to the
borrower, the loan starts (day 0 = the business date the money arrived; due date = day 0 +
term) or grows (a top-up keeps the due date), and any credit balance is applied to it.
Failure: the in-flight principal is released; a loan whose first disbursement failed is
cancelled (nothing was lent; the limit is free again because nothing is outstanding).

A loan paid out in legs (``app.lending.payout_legs``) stays ``disbursing`` until no leg is
in flight; then it starts (day 0 = the business date the last leg settled, its schedule on
the principal disbursed) if any leg arrived, or is cancelled if none did. A leg that fails
for good is not lent (its hold voided): the loan is the legs that arrived. (Transient
failures never get here: the payout sweep re-sends and queries a leg under its own
originator id.)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.borrowers.service import get_borrower
from app.clock import business_date
from app.lending.instalments import instalments_of, is_instalment_loan, write_schedule
from app.lending.models import Loan, LoanStatus, Repayment
from app.lending.quotes import total_due_on_due_date
from app.lending.repayments import apply_credit_balance, close_if_settled
from app.money import kes
from app.notifications.outbox import queue_sms
from app.payments.models import Payout, PayoutPurpose
from app.products.terms import ProductTerms
from integrations.payments.networks import wallet_name
from ledger import Ledger


def _loan(session: Session, payout: Payout) -> Loan:
    loan = session.get(Loan, payout.loan_id, with_for_update=True, populate_existing=True)
    assert loan is not None, f"payout {payout.id} names no loan"
    return loan


def on_disbursed(
    session: Session, ledger: Ledger, payout: Payout, completed_at: datetime, now: datetime
) -> None:
    loan = _loan(session, payout)
    borrower = get_borrower(session, payout.borrower_id, lock=True)
    principal = payout.principal_minor
    loan.principal_pending_minor -= principal
    loan.principal_disbursed_minor += principal
    loan.principal_outstanding_minor += principal
    borrower.savings_long_minor += payout.savings_long_minor
    borrower.savings_short_minor += payout.savings_short_minor
    if loan.status == LoanStatus.DISBURSING:
        if loan.principal_pending_minor > 0:  # more legs on their way: not started yet
            session.flush()
            _leg_sms(session, payout, loan, now)
            return
        _start(session, loan, business_date(completed_at))
    session.flush()
    credit = None
    if borrower.credit_balance_minor > 0:
        credit = apply_credit_balance(session, ledger, loan, borrower, now)
    queue_sms(
        session,
        borrower.id,
        f"disbursed:{payout.originator_id}",
        _disbursed_text(session, payout, loan, credit, business_date(completed_at)),
        now,
    )


def _start(session: Session, loan: Loan, day_0: date) -> None:
    """The loan is lent: day 0, its due date (an instalment loan: its schedule)."""
    loan.status = LoanStatus.ACTIVE
    loan.disbursed_on = day_0
    loan.due_on = _due_on(session, loan, day_0)


def _leg_sms(session: Session, payout: Payout, loan: Loan, now: datetime) -> None:
    queue_sms(
        session,
        payout.borrower_id,
        f"disbursed:{payout.originator_id}",
        f"Mkopo: {kes(payout.amount_minor)} sent to your {wallet_name(payout.network)} for "
        f"loan {loan.account_number}; the rest is on its way.",
        now,
    )


def _due_on(session: Session, loan: Loan, day_0: date) -> date:
    """A bullet loan is due ``term_days`` after day 0; an instalment loan gets its schedule
    (``instalments.write_schedule``) and is due on its last instalment."""
    if is_instalment_loan(loan):
        return write_schedule(session, loan, ProductTerms.from_snapshot(loan.product_terms), day_0)
    return day_0 + timedelta(days=int(loan.product_terms["term_days"]))


def _disbursed_text(
    session: Session, payout: Payout, loan: Loan, credit: Repayment | None, today: date
) -> str:
    """The payout SMS: the total due is what the loan owes on its due date after any credit
    balance, as the quote said (never the quote before the credit, nor the debt of day 0)."""
    assert loan.due_on is not None
    wallet = wallet_name(payout.network)
    sent = (
        f"Mkopo: {kes(payout.amount_minor)} sent to your {wallet} for loan {loan.account_number}."
    )
    used = f" Your credit of {kes(credit.amount_minor)} was applied." if credit else ""
    if loan.status == LoanStatus.REPAID:
        return f"{sent}{used} Nothing is left to pay."
    if is_instalment_loan(loan):  # what the quote said: the schedule left after any credit
        due = sum(row.left_minor for row in instalments_of(session, loan.id))
    else:
        due = total_due_on_due_date(loan, today)
    return f"{sent}{used} Total due {kes(due)} by {loan.due_on:%d-%m-%Y}."


def on_disbursement_failed(session: Session, payout: Payout, now: datetime) -> None:
    loan = _loan(session, payout)
    loan.principal_pending_minor -= payout.principal_minor
    if loan.status == LoanStatus.DISBURSING and loan.principal_disbursed_minor > 0:
        _leg_failed(session, payout, loan, now)
        return
    if loan.status == LoanStatus.DISBURSING:
        if loan.principal_pending_minor > 0:  # other legs still on their way
            session.flush()
            _leg_failed_sms(session, payout, loan, now)
            return
        loan.status = LoanStatus.CANCELLED
        loan.closed_at = now
    else:  # a bounced top-up: the loan may have been repaid in full meanwhile
        last_paid = session.scalar(
            select(func.max(Repayment.received_at)).where(Repayment.loan_id == loan.id)
        )
        close_if_settled(
            session, loan, get_borrower(session, loan.borrower_id, lock=True), last_paid or now, now
        )
    session.flush()
    queue_sms(
        session,
        payout.borrower_id,
        f"disbursement-failed:{payout.originator_id}",
        f"Mkopo: we could not send your loan {loan.account_number}. Nothing is owed. "
        "Please try again later.",
        now,
    )


def _leg_failed(session: Session, payout: Payout, loan: Loan, now: datetime) -> None:
    """A leg failed after another arrived: the loan is lent what arrived. Once no leg is in
    flight it starts on the principal disbursed (its schedule on that amount)."""
    if loan.principal_pending_minor == 0:
        _start(session, loan, business_date(now))
    session.flush()
    _leg_failed_sms(session, payout, loan, now)


def _leg_failed_sms(session: Session, payout: Payout, loan: Loan, now: datetime) -> None:
    queue_sms(
        session,
        payout.borrower_id,
        f"disbursement-failed:{payout.originator_id}",
        f"Mkopo: {kes(payout.amount_minor)} of loan {loan.account_number} could not be sent "
        "and is not lent.",
        now,
    )


class LoanPayouts:
    """The effects of loan and top-up payouts (registered in ``app.payments.purposes``)."""

    purposes = (PayoutPurpose.LOAN, PayoutPurpose.TOPUP)

    def still_payable(self, session: Session, payout: Payout) -> str | None:
        loan_status = session.scalar(select(Loan.status).where(Loan.id == payout.loan_id))
        frozen = session.scalar(select(Borrower.frozen_at).where(Borrower.id == payout.borrower_id))
        if loan_status not in (LoanStatus.DISBURSING, LoanStatus.ACTIVE) or frozen is not None:
            return "the loan defaulted or the borrower was frozen before it was sent"
        return None

    def succeeded(
        self,
        session: Session,
        ledger: Ledger,
        payout: Payout,
        completed_at: datetime,
        now: datetime,
    ) -> None:
        on_disbursed(session, ledger, payout, completed_at, now)

    def failed(self, session: Session, payout: Payout, now: datetime) -> None:
        on_disbursement_failed(session, payout, now)
