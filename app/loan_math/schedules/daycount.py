"""Day counts: how long a period is, as an exact fraction of a year.

- ``act365`` (ACT/365 fixed): actual days / 365, in leap years too (29 February is a day).
- ``30/360``: a regular period counts its nominal length in a 360-day year (a month 30 days,
  a fortnight 14, a week 7), so every regular period is equal. A broken first period, and days
  paid late, count 30E/360 days (each date's day capped at 30).

Within a period, the part elapsed at a date is the period's fraction times its actual days
elapsed over its actual days. Invariant: it never decreases, never exceeds the whole period's
fraction, and equals it on the due date.
"""

from __future__ import annotations

import enum
from datetime import date
from fractions import Fraction

from app.loan_math.schedules.due_dates import Frequency


class DayCount(enum.StrEnum):
    ACT_365 = "act365"
    THIRTY_360 = "30/360"

    @property
    def days_in_year(self) -> int:
        return 365 if self is DayCount.ACT_365 else 360


def days_30e_360(start: date, end: date) -> int:
    """30E/360 days from ``start`` to ``end`` (Eurobond basis: a 31st counts as the 30th)."""
    return (
        360 * (end.year - start.year)
        + 30 * (end.month - start.month)
        + min(end.day, 30)
        - min(start.day, 30)
    )


def days_between(day_count: DayCount, start: date, end: date) -> int:
    """Days from ``start`` to ``end`` under the day count (actual, or 30E/360)."""
    if day_count is DayCount.ACT_365:
        return (end - start).days
    return days_30e_360(start, end)


def year_fraction(day_count: DayCount, start: date, end: date) -> Fraction:
    """The year fraction of a broken period, or of days late, from ``start`` to ``end``."""
    return Fraction(days_between(day_count, start, end), day_count.days_in_year)


def regular_year_fraction(
    day_count: DayCount, frequency: Frequency, start: date, end: date
) -> Fraction:
    """The year fraction of a whole period from ``start`` to its due date ``end``."""
    if day_count is DayCount.ACT_365:
        return Fraction((end - start).days, 365)
    return Fraction(frequency.days_30_360, 360)


def nominal_year_fraction(day_count: DayCount, frequency: Frequency) -> Fraction:
    """One regular period as a year fraction when periods are equal (every case but
    ACT/365 monthly, where months have 28 to 31 actual days)."""
    if frequency is Frequency.MONTHLY:
        return Fraction(1, 12)
    return Fraction(frequency.days_30_360, day_count.days_in_year)


def elapsed_fraction(
    period_start: date, due: date, period_fraction: Fraction, as_of: date
) -> Fraction:
    """The part of a period (``period_start`` to ``due``, worth ``period_fraction`` of a year)
    elapsed on ``as_of``: its actual days elapsed over its actual days. Under ACT/365 that is
    elapsed days / 365; under 30/360 a 28- or 31-day month is spread evenly over its days (as
    Fineract does). Zero at the start, the whole period from the due date on."""
    if as_of >= due:
        return period_fraction
    if as_of <= period_start:
        return Fraction(0)
    return period_fraction * Fraction((as_of - period_start).days, (due - period_start).days)
