"""Simple interest, ACT/365, accrued daily in whole cents with the fraction carried.

Exactness: one day's interest on ``p`` cents at ``r`` basis points a year is
``p * r / (10_000 * 365)`` cents. We add the numerators ``p * r`` exactly (integers) and post,
each day, the whole cents the running total has crossed; the remainder is carried to the next
day. So the total posted after ``n`` days is ``floor(sum of exact daily interest)``, never off
by a cent however many days or rate changes, and nothing drifts.

Check values (Personal Loan, 8% then 9.5% from day 15): KES 500 x 14 days = 1.53;
KES 10,000 x 14 days = 30.68; day 15 on KES 10,000 adds 2.60.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

UNITS_PER_MINOR = 10_000 * 365
"""Carry units in one cent: basis-point denominator x days in the year (ACT/365)."""


class InterestKind(enum.StrEnum):
    REGULAR = "interest"
    PENALTY = "penalty"


@dataclass(frozen=True, slots=True)
class RateSchedule:
    regular_rate_bp: int
    """Yearly rate while the loan is within its term, e.g. 800 = 8%."""
    penalty_rate_bp: int
    """Yearly rate from ``penalty_from_day`` on, e.g. 950 = 9.5%."""
    penalty_from_day: int
    """First day (1-based, counted from disbursement) charged at the penalty rate."""
    accrual_stop_day: int
    """Last day that accrues at all (365 for the Personal Loan)."""

    def rate_bp(self, day: int) -> int:
        return self.penalty_rate_bp if day >= self.penalty_from_day else self.regular_rate_bp

    def kind(self, day: int) -> InterestKind:
        return InterestKind.PENALTY if day >= self.penalty_from_day else InterestKind.REGULAR


@dataclass(frozen=True, slots=True)
class AccrualState:
    days_accrued: int = 0
    """Days of the loan's life already accrued (day 1 is the day after disbursement)."""
    carry_units: int = 0
    """Fraction of a cent carried, in ``1 / UNITS_PER_MINOR`` cents; always < UNITS_PER_MINOR."""
    interest_minor: int = 0
    """Regular interest accrued over the loan's life, cents."""
    penalty_minor: int = 0
    """Penalty interest accrued over the loan's life, cents."""

    @property
    def total_minor(self) -> int:
        return self.interest_minor + self.penalty_minor


@dataclass(frozen=True, slots=True)
class DayAccrual:
    day: int
    kind: InterestKind
    amount_minor: int
    capped: bool
    """True when the in-duplum cap or the accrual stop day cut this day's interest."""


def accrue_day(
    state: AccrualState,
    principal_outstanding_minor: int,
    principal_disbursed_minor: int,
    schedule: RateSchedule,
) -> tuple[AccrualState, DayAccrual]:
    """Accrue the next day on the outstanding principal.

    In-duplum: interest (regular + penalty) accrued over the loan's life never exceeds the
    principal disbursed. Accrual stops after ``schedule.accrual_stop_day``.
    """
    day = state.days_accrued + 1
    kind = schedule.kind(day)
    if day > schedule.accrual_stop_day or principal_outstanding_minor <= 0:
        return (
            AccrualState(day, state.carry_units, state.interest_minor, state.penalty_minor),
            DayAccrual(day, kind, 0, capped=day > schedule.accrual_stop_day),
        )
    headroom = max(principal_disbursed_minor - state.total_minor, 0)
    amount, carry, capped = charge_day(
        state.carry_units, principal_outstanding_minor, schedule.rate_bp(day), headroom
    )
    interest = state.interest_minor + (amount if kind is InterestKind.REGULAR else 0)
    penalty = state.penalty_minor + (amount if kind is InterestKind.PENALTY else 0)
    return AccrualState(day, carry, interest, penalty), DayAccrual(day, kind, amount, capped)


def charge_day(
    carry_units: int, base_minor: int, rate_bp: int, headroom_minor: int
) -> tuple[int, int, bool]:
    """One day of simple interest on ``base_minor`` at ``rate_bp`` a year, in whole cents with
    the fraction carried, never above ``headroom_minor`` (what in-duplum still allows): returns
    (cents charged, carry units, capped). A capped day drops its carry."""
    units = carry_units + base_minor * rate_bp
    amount, carry = divmod(units, UNITS_PER_MINOR)
    if amount > headroom_minor:
        return headroom_minor, 0, True
    return amount, carry, False


def interest_for_term(principal_minor: int, days: int, rate_bp: int) -> int:
    """Whole cents of simple interest for ``days`` at one rate (the disclosure figure)."""
    return principal_minor * rate_bp * days // UNITS_PER_MINOR
