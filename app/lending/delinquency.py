"""What the passing days do to a loan besides interest: reminders and default.

Reminders (through the SMS outbox, at most one per loan per run, the latest due): 5 days
before the due date, on the due date, then every 5 days until the default day.
Default (the product's ``default_day``, day 30 for the Personal Loan, still owing): the loan
is marked defaulted; the borrower is frozen (no new loan until repaid in full), loses their
score band, falls back to the floor limit, and their short-term savings are held (lien).

Instalment loans (``kind = instalment``): one reminder per instalment, ``REMINDER_LEAD_DAYS``
before its due date, if it is not already paid (key ``reminder:<loan>:instalment:<n>``: once,
however often the night is re-run); default when the loan's days past due (its oldest unpaid
instalment's age) reach the product's ``default_after_dpd``, through the same ``_default``.

Reminders of a batch are queued in one bulk insert (``queue_sms``'s rows, same order,
same ``ON CONFLICT DO NOTHING`` on the dedupe key); those due before a default are written
before it, so the outbox's order is the loans' order as with one ``queue_sms`` per loan.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.borrowers.models import DEFAULT_FREEZE
from app.borrowers.service import get_borrower
from app.db.upsert import insert_for
from app.events import publish
from app.lending.events import LoanDefaulted
from app.lending.instalments import oldest_unpaid_age
from app.lending.limit_decisions import LimitChange, record_limit
from app.lending.limits import LimitPolicy
from app.lending.models import Loan, LoanInstalment, LoanStatus
from app.money import kes
from app.notifications.models import SmsMessage
from app.notifications.outbox import queue_sms

REMINDER_LEAD_DAYS = 5
REMINDER_EVERY_DAYS = 5
DEFAULT_POLICY = LimitPolicy()


def reminder_days(term_days: int, default_day: int) -> list[int]:
    """Loan days on which a reminder goes out, e.g. [9, 14, 19, 24, 29] for 14 / 30."""
    days = [term_days - REMINDER_LEAD_DAYS, term_days]
    days += list(range(term_days + REMINDER_EVERY_DAYS, default_day, REMINDER_EVERY_DAYS))
    return [d for d in days if d > 0]


@functools.lru_cache(maxsize=64)
def _reminder_days(term_days: int, default_day: int) -> tuple[int, ...]:
    return tuple(reminder_days(term_days, default_day))


class Accrued(NamedTuple):
    """A loan the run just moved: its batch row (as read, before the move), its terms
    snapshot, and its instalments (after the move; none for a bullet loan). A named tuple:
    one is built per loan per night (a million in the benchmark)."""

    row: Any
    terms: Mapping[str, Any]
    instalments: Sequence[LoanInstalment] = ()


def after_accrual(
    session: Session,
    moved: Sequence[Accrued],
    through: date,
    now: datetime,
    policy: LimitPolicy = DEFAULT_POLICY,
) -> int:
    """Reminders and defaults for the loans just accrued. Returns how many loans went into
    default."""
    reminders: list[dict[str, Any]] = []
    defaulted = 0
    for item in moved:
        row, terms, instalments = item
        target = (through - row.disbursed_on).days
        if target <= row.days_accrued:
            continue
        if instalments:  # an instalment loan (bullet loans have none)
            defaults, due = _instalment_loan_night(item, through, now)
        else:
            defaults, due = _bullet_loan_night(row, terms, target, now)
        if defaults:
            _queue_reminders(session, reminders)
            reminders = []
            _default(session, row, now, policy)
            defaulted += 1
        else:
            reminders.extend(due)
    _queue_reminders(session, reminders)
    return defaulted


def _bullet_loan_night(
    row: Any, terms: Mapping[str, Any], target: int, now: datetime
) -> tuple[bool, list[dict[str, Any]]]:
    """(defaults now, reminders): default on the product's ``default_day`` still owing; else
    the latest reminder day crossed."""
    due = [
        d
        for d in _reminder_days(terms["term_days"], terms["default_day"])
        if row.days_accrued < d <= target
    ]
    owes = (
        row.principal_outstanding_minor
        + row.interest_outstanding_minor
        + row.penalty_outstanding_minor
    ) > 0
    if row.status == LoanStatus.ACTIVE and owes and target >= terms["default_day"]:
        return True, []
    return False, [_reminder(row, terms, due[-1], now)] if due else []


def _instalment_loan_night(
    item: Accrued, through: date, now: datetime
) -> tuple[bool, list[dict[str, Any]]]:
    """(defaults now, reminders): default at ``default_after_dpd`` days past due; else one
    reminder per unpaid instalment whose reminder date (``REMINDER_LEAD_DAYS`` before it is
    due) the run crossed."""
    row = item.row
    dpd = oldest_unpaid_age(item.instalments, through)
    if row.status != LoanStatus.ACTIVE:
        return False, []  # defaulted: the default SMS said it all; no more reminders
    if dpd >= item.terms["default_after_dpd"]:
        return True, []
    since = row.disbursed_on + timedelta(days=row.days_accrued)
    return False, [
        _instalment_reminder(row, instalment, now)
        for instalment in item.instalments
        if not instalment.is_paid
        and instalment.due_on >= through  # a catch-up never reminds of a date gone by
        and since < instalment.due_on - timedelta(days=REMINDER_LEAD_DAYS) <= through
    ]


def _instalment_reminder(row: Any, instalment: LoanInstalment, now: datetime) -> dict[str, Any]:
    """The outbox row ``queue_sms`` would insert: instalment ``n`` is due in a few days."""
    left = instalment.left_minor
    return {
        "dedupe_key": f"reminder:{row.id}:instalment:{instalment.number}",
        "borrower_id": row.borrower_id,
        "text": f"Mkopo: instalment {instalment.number} of your loan {row.account_number}, "
        f"{kes(left)}, is due on {instalment.due_on:%d-%m-%Y}. Pay via paybill, account "
        f"{row.account_number}.",
        "status": "pending",
        "attempts": 0,
        "created_at": now,
    }


def _reminder(row: Any, terms: Mapping[str, Any], day: int, now: datetime) -> dict[str, Any]:
    """The outbox row ``queue_sms`` would insert for this reminder."""
    term = terms["term_days"]
    when = (
        "is due in 5 days"
        if day < term
        else "is due today"
        if day == term
        else f"is {day - term} days overdue"
    )
    return {
        "dedupe_key": f"reminder:{row.id}:day:{day}",
        "borrower_id": row.borrower_id,
        "text": f"Mkopo: your loan {row.account_number} {when}, due date "
        f"{row.due_on:%d-%m-%Y}. Pay via paybill, account {row.account_number}.",
        "status": "pending",
        "attempts": 0,
        "created_at": now,
    }


def _queue_reminders(session: Session, reminders: list[dict[str, Any]]) -> None:
    """``queue_sms`` for each reminder, as one ORM bulk insert (one executemany)."""
    if not reminders:
        return
    session.execute(
        insert_for(session, SmsMessage).on_conflict_do_nothing(index_elements=["dedupe_key"]),
        reminders,
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
    borrower.frozen_reason = DEFAULT_FREEZE
    borrower.score_band = None
    borrower.savings_short_held_minor = borrower.savings_short_minor
    publish(session, LoanDefaulted(borrower, row.id, now))
    change = LimitChange(policy.after_default(), "default_reset", {"loan_id": row.id})
    record_limit(session, borrower, change, now)
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
