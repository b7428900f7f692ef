"""Finding a loan by id, and a borrower's open personal loan (at most one: a partial unique
index guarantees it; an SME loan of a business they own is not their personal loan)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.lending.errors import LoanNotFound
from app.lending.models import OPEN_STATUSES, Loan


def open_loan(session: Session, borrower_id: int) -> Loan | None:
    return session.scalar(
        select(Loan).where(
            Loan.borrower_id == borrower_id,
            Loan.status.in_(OPEN_STATUSES),
            Loan.business_id.is_(None),
        )
    )


def open_loan_id(session: Session, borrower_id: int) -> int | None:
    return session.scalar(
        select(Loan.id).where(
            Loan.borrower_id == borrower_id,
            Loan.status.in_(OPEN_STATUSES),
            Loan.business_id.is_(None),
        )
    )


def any_open_loan_id(session: Session, borrower_id: int) -> int | None:
    """An open loan of the borrower's, personal or of a business they own (what keeps them
    from opting out or withdrawing savings)."""
    return session.scalar(
        select(Loan.id)
        .where(Loan.borrower_id == borrower_id, Loan.status.in_(OPEN_STATUSES))
        .order_by(Loan.id)
        .limit(1)
    )


def get_loan(session: Session, loan_id: int, lock: bool = False) -> Loan:
    """The loan (locked ``FOR UPDATE`` and re-read with ``lock``), or ``LoanNotFound``."""
    loan = session.get(Loan, loan_id, with_for_update=lock, populate_existing=lock)
    if loan is None:
        raise LoanNotFound(f"No loan {loan_id}")
    return loan
