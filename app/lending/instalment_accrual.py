"""One night of an instalment loan, in the accrual batch (``app.lending.accrual``): the
interest of instalments fallen due, and penalty on the overdue ones.

Rules (docs/instalments.md, "The nightly run"):
- Interest: the instalments due on or before the run's business date have their scheduled
  interest recognised (``instalments.post_due_interest``, the repayment path's function), none
  before. Regular interest is never accrued day by day for these loans.
- Penalty: on date D an instalment due on ``due_on`` and not fully paid is charged one day of
  simple interest at the product's ``penalty_rate_bp`` a year (ACT/365, whole cents, the
  fraction carried per instalment) on its **overdue base**: principal + scheduled interest
  not yet paid (never penalty on penalty), once it is ``penalty_from_day`` days past due
  (D - due_on >= penalty_from_day), and while loan day D - disbursed_on <= the product's
  ``accrual_stop_day``.
- In-duplum: the loan's scheduled interest (all of it, contractual) plus the penalty charged
  over its life never exceed the principal disbursed; the day that would cross it is cut to
  what is left and nothing more is charged.
Invariant: the loan's penalty columns move by exactly what the instalments' ``penalty_minor``
moved (the caller's compare-and-set), so penalty outstanding = sum(penalty - paid penalty).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import EAT
from app.lending.instalments import post_due_interest
from app.lending.models import InstalmentStatus, LoanInstalment
from app.loan_math.interest import charge_day
from app.products.terms import ProductTerms
from ledger import Ledger


@dataclass(slots=True)
class InstalmentNight:
    """What one run did to one instalment loan."""

    interest_minor: int = 0
    """Scheduled interest recognised (fallen due)."""
    penalty_by_day: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    """Penalty charged, by the date it was charged for."""

    @property
    def penalty_minor(self) -> int:
        return sum(self.penalty_by_day.values())


def instalments_by_loan(
    session: Session, loan_ids: Sequence[int]
) -> dict[int, list[LoanInstalment]]:
    """The instalments of a batch's instalment loans (locked by the caller), by loan, in
    number order: one query per batch."""
    found: dict[int, list[LoanInstalment]] = {loan_id: [] for loan_id in loan_ids}
    rows = session.scalars(
        select(LoanInstalment)
        .where(
            LoanInstalment.loan_id.in_(loan_ids),
            LoanInstalment.status != InstalmentStatus.SUPERSEDED,
        )
        .order_by(LoanInstalment.loan_id, LoanInstalment.number)
        .execution_options(populate_existing=True)
    )
    for row in rows:
        found[row.loan_id].append(row)
    return found


def in_duplum_headroom(
    principal_disbursed_minor: int, rows: Sequence[LoanInstalment], penalty_accrued_minor: int
) -> int:
    """Penalty the loan may still be charged: principal disbursed less its whole scheduled
    interest less the penalty charged so far (never below 0)."""
    scheduled = sum(row.interest_minor for row in rows)
    return max(principal_disbursed_minor - scheduled - penalty_accrued_minor, 0)


def accrue_night(
    ledger: Ledger, loan: Any, terms: ProductTerms, rows: Sequence[LoanInstalment], target: int
) -> InstalmentNight:
    """Bring ``loan`` (an accrual batch row) from loan day ``loan.days_accrued`` to ``target``:
    recognise interest fallen due by then, charge penalty day by day; the instalment rows
    are updated, the loan's columns are the caller's."""
    night = InstalmentNight()
    through = loan.disbursed_on + timedelta(days=target)
    value_time = datetime.combine(through, time(0, 0), tzinfo=EAT)
    night.interest_minor = post_due_interest(ledger, loan, rows, through, value_time)
    headroom = in_duplum_headroom(loan.principal_disbursed_minor, rows, loan.penalty_accrued_minor)
    last_day = min(target, terms.accrual_stop_day)
    for n in range(loan.days_accrued + 1, last_day + 1):
        day = loan.disbursed_on + timedelta(days=n)
        for row in rows:
            if (day - row.due_on).days < terms.penalty_from_day:
                break  # rows are in due-date order: no later one is overdue enough either
            base = row.overdue_base_minor
            if base <= 0:
                continue
            amount, row.penalty_carry_units, _ = charge_day(
                row.penalty_carry_units, base, terms.penalty_rate_bp, headroom
            )
            row.penalty_minor += amount
            headroom -= amount
            if amount:
                night.penalty_by_day[day] += amount
    return night
