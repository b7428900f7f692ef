"""Days past due in SQL, for every loan in one statement: PAR and the arrears ageing.

A loan's amount past due dates from its **oldest unpaid due date**: for an instalment loan
the due date of its oldest open instalment due before the report date (not the loan's final
due date: ``app.lending.instalments.days_past_due`` in Python); for a bullet loan its due
date. A loan with nothing past due has none (``NULL``): it is current.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, select

from app.lending.models import InstalmentStatus, Loan, LoanInstalment

AGEING_BUCKETS = ("current", "1-30", "31-60", "61-90", "91-180", "180+")
"""Days past due: 0, 1 to 30, ..., 91 to 180, more than 180."""
_BUCKET_DAYS = (30, 60, 90, 180)


def oldest_unpaid_due(as_of: date) -> ColumnElement[Any]:
    """The date the loan's oldest unpaid amount fell due (``NULL`` for an instalment loan with
    no instalment overdue on ``as_of``)."""
    row = LoanInstalment
    oldest_open = (
        select(func.min(row.due_on))
        .where(row.loan_id == Loan.id, row.status == InstalmentStatus.OPEN, row.due_on < as_of)
        .correlate(Loan)
        .scalar_subquery()
    )
    has_schedule = exists().where(row.loan_id == Loan.id).correlate(Loan)
    return case((has_schedule, oldest_open), else_=Loan.due_on)


def more_days_past_due_than(days: int, as_of: date) -> ColumnElement[bool]:
    """Whether the loan is more than ``days`` days past due on ``as_of``."""
    return oldest_unpaid_due(as_of) < as_of - timedelta(days=days)


def ageing_bucket(as_of: date) -> ColumnElement[str]:
    """The loan's bucket of ``AGEING_BUCKETS`` on ``as_of``."""
    due = oldest_unpaid_due(as_of)
    whens: list[tuple[ColumnElement[bool], str]] = [
        (due.is_(None), AGEING_BUCKETS[0]),
        (due >= as_of, AGEING_BUCKETS[0]),
    ]
    whens += [
        (due >= as_of - timedelta(days=days), label)
        for days, label in zip(_BUCKET_DAYS, AGEING_BUCKETS[1:], strict=False)
    ]
    return case(*whens, else_=AGEING_BUCKETS[-1])
