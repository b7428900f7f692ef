"""What the passing days do to a loan besides interest: reminders and default.

Reminders (through the SMS outbox, at most one per loan per run, the latest due): 5 days
before the due date, on the due date, then every 5 days until the default day.
Default (the product's ``default_day``, day 30 for the Personal Loan, still owing): the loan
is marked defaulted; the borrower is frozen (no new loan until repaid in full), loses their
score band, falls back to the floor limit, and their short-term savings are held (lien).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.borrowers.service import get_borrower
from app.lending.limit_decisions import record_limit
from app.lending.limits import LimitPolicy
from app.lending.models import Loan, LoanStatus
from app.money import kes
from app.notifications.outbox import queue_sms

if TYPE_CHECKING:
    from app.lending.accrual import RunTotals

REMINDER_LEAD_DAYS = 5
REMINDER_EVERY_DAYS = 5
DEFAULT_POLICY = LimitPolicy()


def reminder_days(term_days: int, default_day: int) -> list[int]:
    """Loan days on which a reminder goes out, e.g. [9, 14, 19, 24, 29] for 14 / 30."""
    days = [term_days - REMINDER_LEAD_DAYS, term_days]
    days += list(range(term_days + REMINDER_EVERY_DAYS, default_day, REMINDER_EVERY_DAYS))
    return [d for d in days if d > 0]


def after_accrual(
    session: Session,
    rows: Sequence[Any],
    through: date,
    now: datetime,
    totals: RunTotals,
    policy: LimitPolicy = DEFAULT_POLICY,
) -> None:
    for row in rows:
        target = (through - row.disbursed_on).days
        if target <= row.days_accrued:
            continue
        terms = row.product_terms
        due = [
            d
            for d in reminder_days(terms["term_days"], terms["default_day"])
            if row.days_accrued < d <= target
        ]
        if row.status == LoanStatus.ACTIVE and target >= terms["default_day"]:
            _default(session, row, now, policy)
            totals.loans_defaulted += 1
        elif due:
            _remind(session, row, due[-1], now)


def _remind(session: Session, row: Any, day: int, now: datetime) -> None:
    term = row.product_terms["term_days"]
    when = (
        "is due in 5 days"
        if day < term
        else "is due today"
        if day == term
        else f"is {day - term} days overdue"
    )
    queue_sms(
        session,
        row.borrower_id,
        f"reminder:{row.id}:day:{day}",
        f"Mkopo: your loan {row.account_number} {when}, due date "
        f"{row.due_on:%d-%m-%Y}. Pay via paybill, account {row.account_number}.",
        now,
    )


def _default(session: Session, row: Any, now: datetime, policy: LimitPolicy) -> None:
    moved = (
        session.connection()
        .execute(
            update(Loan)
            .where(Loan.id == row.id, Loan.status == LoanStatus.ACTIVE)
            .values(status=LoanStatus.DEFAULTED, defaulted_at=now)
            .execution_options(synchronize_session=False)
        )
        .rowcount
    )
    if moved != 1:
        return
    borrower = get_borrower(session, row.borrower_id, lock=True)
    borrower.frozen_at = now
    borrower.frozen_reason = "default"
    borrower.score_band = None
    borrower.savings_short_held_minor = borrower.savings_short_minor
    record_limit(
        session, borrower, policy.after_default(), "default_reset", {"loan_id": row.id}, now
    )
    outstanding = (
        row.principal_outstanding_minor
        + row.interest_outstanding_minor
        + row.penalty_outstanding_minor
    )
    queue_sms(
        session,
        row.borrower_id,
        f"default:{row.id}",
        f"Mkopo: loan {row.account_number} is in default with about {kes(outstanding)} "
        "owed. Your account is frozen until it is repaid.",
        now,
    )
