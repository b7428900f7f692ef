"""What the app shows besides loans: payouts, STK prompts, savings and the statement —
read-only, and always scoped to the signed-in borrower.

Invariant: every lookup by id filters by ``borrower_id`` too, and an id that is not the
borrower's gets the same ``NotFound`` as one that does not exist. Lists are bounded: pages
at most ``PAGE_MAX`` long and ``OFFSET_MAX`` deep.
"""

from __future__ import annotations

from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.lending.models import Loan, Repayment
from app.mobile import errors
from app.mobile.schemas import (
    DisbursementOut,
    SavingsOut,
    StatementLineOut,
    StatementPage,
    StkRequestOut,
)
from app.money import kes
from app.mpesa.models import StkRequest
from app.payments.models import Payout, PayoutPurpose, PayoutStatus

PAGE_DEFAULT = 20
PAGE_MAX = 100
OFFSET_MAX = 10_000
LOAN_PAYOUTS = (PayoutPurpose.LOAN, PayoutPurpose.TOPUP)
WITHDRAWAL_PAYOUTS = (PayoutPurpose.SAVINGS_WITHDRAWAL, PayoutPurpose.REFUND)


def own_stk_request(session: Session, borrower_id: int, request_id: int) -> StkRequest:
    request = session.scalar(
        select(StkRequest).where(StkRequest.id == request_id, StkRequest.borrower_id == borrower_id)
    )
    if request is None:
        raise errors.NotFound(f"You have no repayment request {request_id}")
    return request


def own_withdrawal(session: Session, borrower_id: int, payout_id: int) -> Payout:
    payout = session.scalar(
        select(Payout).where(
            Payout.id == payout_id,
            Payout.borrower_id == borrower_id,
            Payout.purpose.in_(WITHDRAWAL_PAYOUTS),
        )
    )
    if payout is None:
        raise errors.NotFound(f"You have no withdrawal {payout_id}")
    return payout


def disbursement_view(payout: Payout) -> DisbursementOut:
    return DisbursementOut(
        id=payout.id,
        purpose=payout.purpose,
        status=payout.status,
        loan_id=payout.loan_id,
        principal_minor=payout.principal_minor,
        cash_minor=payout.amount_minor,
        savings_minor=payout.savings_long_minor + payout.savings_short_minor,
        cash_display=kes(payout.amount_minor),
        receipt=payout.provider_receipt,
        failure_reason=payout.failure_reason,
        requested_at=payout.created_at,
        completed_at=payout.resolved_at,
    )


def stk_view(request: StkRequest) -> StkRequestOut:
    return StkRequestOut(
        id=request.id,
        loan_id=request.loan_id,
        amount_minor=request.amount_minor,
        amount_display=kes(request.amount_minor),
        status=request.status,
        receipt=request.receipt,
        requested_at=request.created_at,
        resolved_at=request.resolved_at,
    )


def savings_view(borrower: Borrower, has_open_loan: bool) -> SavingsOut:
    """Mirrors the withdrawal rules (``app.savings.withdrawals``): nothing while a loan is
    open or savings are held."""
    blocked: str | None = None
    if has_open_loan:
        blocked = "loan_open"
    elif borrower.savings_short_held_minor > 0:
        blocked = "savings_held"
    withdrawable = 0 if blocked else borrower.savings_short_minor
    return SavingsOut(
        long_term_minor=borrower.savings_long_minor,
        short_term_minor=borrower.savings_short_minor,
        short_term_held_minor=borrower.savings_short_held_minor,
        credit_balance_minor=borrower.credit_balance_minor,
        withdrawable_minor=withdrawable,
        withdrawable_display=kes(withdrawable),
        withdrawal_blocked_because=blocked,
    )


def statement_page(session: Session, borrower_id: int, limit: int, offset: int) -> StatementPage:
    """Money that reached or left the borrower's wallet, newest first: settled payouts (loans,
    top-ups, withdrawals, refunds) and repayments."""
    payouts = (
        select(
            literal("payout", String).label("source"),
            Payout.id.label("id"),
            func.coalesce(Payout.resolved_at, Payout.created_at).label("at"),
            Payout.purpose.label("kind"),
            Payout.amount_minor.label("amount_minor"),
            Payout.provider_receipt.label("receipt"),
            Loan.account_number.label("loan_account"),
        )
        .outerjoin(Loan, Loan.id == Payout.loan_id)
        .where(Payout.borrower_id == borrower_id, Payout.status == PayoutStatus.SUCCEEDED)
    )
    repayments = (
        select(
            literal("repayment", String),
            Repayment.id,
            Repayment.received_at,
            literal("repayment", String),
            Repayment.amount_minor,
            Repayment.provider_receipt,
            Loan.account_number,
        )
        .join(Loan, Loan.id == Repayment.loan_id)
        .where(Repayment.borrower_id == borrower_id)
    )
    lines = union_all(payouts, repayments).subquery()
    rows = session.execute(
        select(lines)
        .order_by(lines.c.at.desc(), lines.c.source, lines.c.id.desc())
        .limit(limit + 1)
        .offset(offset)
    ).all()
    return StatementPage(
        items=[
            StatementLineOut(
                id=f"{row.source}-{row.id}",
                at=row.at,
                kind=row.kind,
                direction="paid" if row.source == "repayment" else "received",
                amount_minor=row.amount_minor,
                amount_display=kes(row.amount_minor),
                receipt=row.receipt,
                loan_account=row.loan_account,
            )
            for row in rows[:limit]
        ],
        next_offset=offset + limit if len(rows) > limit else None,
    )


def stk_exists(session: Session, key: str) -> bool:
    """Whether a repayment prompt was asked under this (scoped) key."""
    found = select(StkRequest.id).where(StkRequest.idempotency_key == key)
    return session.scalar(found) is not None
