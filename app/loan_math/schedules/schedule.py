"""A repayment schedule: immutable instalments and their totals.

Invariants (checked by tests/property/test_schedule_properties.py): the instalments' principal
sums to the schedule's principal exactly; every balance is >= 0 and the last is 0; due dates
strictly increase; each instalment's total is its principal plus its interest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from app.loan_math.schedules.terms import ScheduleTerms


@dataclass(frozen=True, slots=True)
class Instalment:
    number: int
    """1 for the first instalment of the loan; a recalculated schedule keeps the numbering."""
    period_start: date
    """The day interest of this period starts (the start, the previous due date, or the date
    of a recalculation)."""
    due_date: date
    year_fraction: Fraction
    """This period's length under the day count, as a fraction of a year."""
    principal_minor: int
    interest_minor: int
    """Interest due with this instalment: this period's interest (unless a grace on interest
    defers it), plus deferred interest collected here, plus late-payment interest."""
    period_interest_minor: int
    """Interest this period accrues on its own (what daily accrual spreads over its days)."""
    late_interest_minor: int
    """Late-payment interest added to this instalment by a recalculation (in interest_minor)."""
    balance_after_minor: int
    """Principal outstanding once this instalment is paid."""

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor


@dataclass(frozen=True, slots=True)
class Schedule:
    terms: ScheduleTerms
    """The contract (rate, method, frequency, day count, rounding, grace). A recalculated
    schedule keeps the contract's terms; its own principal and start are below."""
    principal_minor: int
    """The principal these instalments repay: the loan, or what was outstanding when the
    schedule was recalculated."""
    start: date
    """When this schedule's interest starts: the disbursement, or the recalculation date."""
    regular_minor: int
    """What a reduce-term recalculation keeps: the instalment amount (EMI), or the principal
    part of each instalment before whole-shilling rounding (declining, flat)."""
    instalments: tuple[Instalment, ...]

    @property
    def interest_minor(self) -> int:
        return sum(instalment.interest_minor for instalment in self.instalments)

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor

    def instalment(self, number: int) -> Instalment:
        for instalment in self.instalments:
            if instalment.number == number:
                return instalment
        raise KeyError(number)
