"""The borrower's loans as the app shows them: balances, the schedule (an instalment loan's
instalments, or the one instalment of a bullet loan), the settlement quote and the history
(disbursements, repayments, interest).

Invariant: a loan is looked up by id only together with the signed-in borrower's id, and
another borrower's loan gets the same ``NotFound`` as one that does not exist. A history
holds at most ``HISTORY_LIMIT`` disbursements and repayments (the statement has the rest).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.lending.instalments import instalments_of, is_instalment_loan
from app.lending.loans import open_loan
from app.lending.models import OPEN_STATUSES, InstalmentStatus, Loan, LoanInstalment, Repayment
from app.lending.quotes import Quote
from app.lending.schemas import SettlementOut
from app.loan_math.interest import interest_for_term
from app.loan_math.schedules.schedule import Instalment
from app.mobile import errors
from app.mobile.queries import LOAN_PAYOUTS, disbursement_view
from app.mobile.schemas import (
    InstalmentOut,
    InterestOut,
    LoanHistoryOut,
    LoanOut,
    LoansPage,
    LoanSummaryOut,
    QuotedInstalmentOut,
    QuoteOut,
    RepaymentOut,
)
from app.money import kes
from app.payments.models import Payout
from app.products.terms import ProductTerms

HISTORY_LIMIT = 100


def own_loan(session: Session, borrower_id: int, loan_id: int) -> Loan:
    loan = session.scalar(select(Loan).where(Loan.id == loan_id, Loan.borrower_id == borrower_id))
    if loan is None:
        raise errors.NotFound(f"You have no loan {loan_id}")
    return loan


def current_loan(session: Session, borrower_id: int) -> Loan:
    loan = open_loan(session, borrower_id)  # the personal loan (an SME loan: /sme/loan)
    if loan is None:
        raise errors.NoOpenLoan("You have no open loan")
    return loan


def loan_summary(loan: Loan) -> LoanSummaryOut:
    return LoanSummaryOut(**_summary_fields(loan))


def _summary_fields(loan: Loan) -> dict[str, object]:
    return {
        "id": loan.id,
        "account_number": loan.account_number,
        "status": loan.status,
        "product_code": loan.product_terms["code"],
        "principal_disbursed_minor": loan.principal_disbursed_minor,
        "outstanding_minor": loan.outstanding_minor,
        "outstanding_display": kes(loan.outstanding_minor),
        "disbursed_on": loan.disbursed_on,
        "due_on": loan.due_on,
        "closed_at": loan.closed_at,
    }


def loan_view(session: Session, loan: Loan, today: date) -> LoanOut:
    return LoanOut(
        **_summary_fields(loan),
        principal_pending_minor=loan.principal_pending_minor,
        principal_outstanding_minor=loan.principal_outstanding_minor,
        interest_outstanding_minor=loan.interest_outstanding_minor,
        penalty_outstanding_minor=loan.penalty_outstanding_minor,
        schedule=schedule_of(session, loan, today),
        settlement=SettlementOut.of_loan(session, loan, today),
        history=history_of(session, loan),
    )


def schedule_of(session: Session, loan: Loan, today: date) -> list[InstalmentOut]:
    """An instalment loan's instalments; a bullet loan's one instalment (what is owed now
    plus the interest still to accrue until the due date, at the regular rate; whole cents,
    like the quote), none once it is closed."""
    if is_instalment_loan(loan):
        return [_instalment_row(row, today) for row in instalments_of(session, loan.id)]
    if loan.status not in OPEN_STATUSES or loan.due_on is None or loan.disbursed_on is None:
        return []
    terms = ProductTerms.from_snapshot(loan.product_terms)
    days_left = max((loan.due_on - loan.disbursed_on).days - loan.days_accrued, 0)
    interest = loan.interest_outstanding_minor + interest_for_term(
        loan.principal_outstanding_minor, days_left, terms.regular_rate_bp
    )
    total = loan.principal_outstanding_minor + interest + loan.penalty_outstanding_minor
    return [
        InstalmentOut(
            number=1,
            due_on=loan.due_on,
            principal_minor=loan.principal_outstanding_minor,
            interest_minor=interest,
            penalty_minor=loan.penalty_outstanding_minor,
            total_minor=total,
            total_display=kes(total),
            paid_minor=0,
            left_minor=total,
            status=_timing(loan.due_on, today),
        )
    ]


def _timing(due_on: date, today: date) -> Literal["upcoming", "due_today", "overdue"]:
    if today < due_on:
        return "upcoming"
    return "due_today" if today == due_on else "overdue"


def _instalment_row(row: LoanInstalment, today: date) -> InstalmentOut:
    total = row.total_minor + row.penalty_minor
    status: Literal["upcoming", "due_today", "overdue", "paid", "written_off"]
    if row.status == InstalmentStatus.PAID:
        status = "paid"
    elif row.status == InstalmentStatus.WRITTEN_OFF:
        status = "written_off"
    else:
        status = _timing(row.due_on, today)
    return InstalmentOut(
        number=row.number,
        due_on=row.due_on,
        principal_minor=row.principal_minor,
        interest_minor=row.interest_minor,
        penalty_minor=row.penalty_minor,
        total_minor=total,
        total_display=kes(total),
        paid_minor=row.paid_minor,
        left_minor=row.left_minor,
        status=status,
    )


def history_of(session: Session, loan: Loan) -> LoanHistoryOut:
    payouts = list(
        session.scalars(
            select(Payout)
            .where(Payout.loan_id == loan.id, Payout.purpose.in_(LOAN_PAYOUTS))
            .order_by(Payout.id.desc())
            .limit(HISTORY_LIMIT + 1)
        )
    )
    repayments = list(
        session.scalars(
            select(Repayment)
            .where(Repayment.loan_id == loan.id)
            .order_by(Repayment.id.desc())
            .limit(HISTORY_LIMIT + 1)
        )
    )
    terms = ProductTerms.from_snapshot(loan.product_terms)
    accrued_through = None
    if loan.disbursed_on is not None and loan.days_accrued > 0:
        accrued_through = date.fromordinal(loan.disbursed_on.toordinal() + loan.days_accrued)
    return LoanHistoryOut(
        disbursements=[disbursement_view(p) for p in payouts[:HISTORY_LIMIT]],
        repayments=[_repayment_view(r) for r in repayments[:HISTORY_LIMIT]],
        interest=InterestOut(
            interest_accrued_minor=loan.interest_accrued_minor,
            penalty_accrued_minor=loan.penalty_accrued_minor,
            days_accrued=loan.days_accrued,
            accrued_through=accrued_through,
            regular_rate_bp=terms.regular_rate_bp,
            penalty_rate_bp=terms.penalty_rate_bp,
            penalty_from_day=terms.penalty_from_day,
        ),
        truncated=len(payouts) > HISTORY_LIMIT or len(repayments) > HISTORY_LIMIT,
    )


def _repayment_view(repayment: Repayment) -> RepaymentOut:
    return RepaymentOut(
        id=repayment.id,
        channel=repayment.channel,
        receipt=repayment.provider_receipt,
        amount_minor=repayment.amount_minor,
        penalty_minor=repayment.penalty_minor,
        interest_minor=repayment.interest_minor,
        principal_minor=repayment.principal_minor,
        overpayment_minor=repayment.overpayment_minor,
        received_at=repayment.received_at,
    )


def loans_page(session: Session, borrower_id: int, limit: int, offset: int) -> LoansPage:
    loans = list(
        session.scalars(
            select(Loan)
            .where(Loan.borrower_id == borrower_id)
            .order_by(Loan.id.desc())
            .limit(limit + 1)
            .offset(offset)
        )
    )
    return LoansPage(
        items=[loan_summary(loan) for loan in loans[:limit]],
        next_offset=offset + limit if len(loans) > limit else None,
    )


def quote_out(q: Quote) -> QuoteOut:
    """A quote as the app shows it (a loan's, or an SME loan's with its schedule)."""
    return QuoteOut(
        product_code=q.product_code,
        amount_minor=q.amount_minor,
        cash_minor=q.cash_minor,
        savings_minor=q.savings_minor,
        savings_long_minor=q.savings_long_minor,
        savings_short_minor=q.savings_short_minor,
        interest_to_due_minor=q.interest_to_due_minor,
        total_due_minor=q.total_due_minor,
        outstanding_before_minor=q.outstanding_before_minor,
        credit_applied_minor=q.credit_applied_minor,
        due_on=q.due_on,
        regular_rate_bp=q.regular_rate_bp,
        penalty_rate_bp=q.penalty_rate_bp,
        amount_display=kes(q.amount_minor),
        cash_display=kes(q.cash_minor),
        savings_display=kes(q.savings_minor),
        interest_display=kes(q.interest_to_due_minor),
        credit_applied_display=kes(q.credit_applied_minor),
        total_due_display=kes(q.total_due_minor),
        instalments=None if q.instalments is None else [_instalment_out(i) for i in q.instalments],
    )


def _instalment_out(instalment: Instalment) -> QuotedInstalmentOut:
    return QuotedInstalmentOut(
        number=instalment.number,
        due_on=instalment.due_date,
        principal_minor=instalment.principal_minor,
        interest_minor=instalment.interest_minor,
        total_minor=instalment.total_minor,
        total_display=kes(instalment.total_minor),
    )
