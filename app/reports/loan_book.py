"""The loan book: loans by status, product, days overdue and borrower, a page at a time.

Pages are keyed by loan id (``after_id``), never by offset, so a page is cheap however deep
and stable while loans are added. Days overdue are counted from the oldest unpaid due date
(a bullet loan's due date, an instalment loan's oldest unpaid instalment's) to the business
date (Nairobi) given by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.lending.instalments import days_past_due, is_instalment_loan
from app.lending.models import Loan, LoanStatus, Repayment
from app.products.models import Product
from app.reports.past_due import oldest_unpaid_due

MAX_PAGE = 200
DEFAULT_PAGE = 50
MAX_REPAYMENTS_SHOWN = 50
OVERDUE_STATUSES = (LoanStatus.ACTIVE, LoanStatus.DEFAULTED)


@dataclass(frozen=True, slots=True)
class LoanFilter:
    status: LoanStatus | None = None
    product_code: str | None = None
    min_days_overdue: int | None = None
    """Only loans still owed whose oldest unpaid due date is at least this many days past."""
    borrower_id: int | None = None


def days_overdue(loan: Loan, today: date) -> int:
    """Days past due: an instalment loan's oldest unpaid instalment's age (read through the
    loan's session), a bullet loan's days since its due date."""
    if loan.status not in OVERDUE_STATUSES:
        return 0
    session = object_session(loan)
    if is_instalment_loan(loan) and session is not None:
        return days_past_due(session, loan, today)
    if loan.due_on is None or today <= loan.due_on:
        return 0
    return (today - loan.due_on).days


def list_loans(
    session: Session, where: LoanFilter, today: date, after_id: int = 0, limit: int = DEFAULT_PAGE
) -> Sequence[Loan]:
    query = select(Loan).where(Loan.id > after_id)
    if where.status is not None:
        query = query.where(Loan.status == where.status.value)
    if where.product_code is not None:
        query = query.join(Product, Product.id == Loan.product_id).where(
            Product.code == where.product_code
        )
    if where.min_days_overdue is not None:
        query = query.where(
            Loan.status.in_(OVERDUE_STATUSES),
            oldest_unpaid_due(today) <= today - timedelta(days=where.min_days_overdue),
        )
    if where.borrower_id is not None:
        query = query.where(Loan.borrower_id == where.borrower_id)
    return session.scalars(query.order_by(Loan.id).limit(min(limit, MAX_PAGE))).all()


def recent_repayments(session: Session, loan_id: int) -> Sequence[Repayment]:
    return session.scalars(
        select(Repayment)
        .where(Repayment.loan_id == loan_id)
        .order_by(Repayment.id.desc())
        .limit(MAX_REPAYMENTS_SHOWN)
    ).all()
