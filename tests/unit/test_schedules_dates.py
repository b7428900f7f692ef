"""Due dates and day counts: calendar months clamped from the anchor day, weekly and
fortnightly steps, broken first periods, ACT/365 and 30/360 year fractions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from app.loan_math.schedules.daycount import (
    DayCount,
    days_30e_360,
    elapsed_fraction,
    regular_year_fraction,
)
from app.loan_math.schedules.due_dates import Frequency, add_months, due_dates
from app.loan_math.schedules.methods import generate
from app.loan_math.schedules.terms import Method, ScheduleTerms

MONTHLY, WEEKLY, FORTNIGHTLY = Frequency.MONTHLY, Frequency.WEEKLY, Frequency.FORTNIGHTLY


def test_a_loan_anchored_on_31_january_falls_due_on_each_month_end_and_back_on_the_31st() -> None:
    assert due_dates(MONTHLY, date(2026, 1, 31), 6) == (
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 7, 31),
    )


def test_29_february_in_a_leap_year_and_the_30th_come_back_to_their_day() -> None:
    assert due_dates(MONTHLY, date(2023, 12, 30), 3) == (
        date(2024, 1, 30),
        date(2024, 2, 29),
        date(2024, 3, 30),
    )
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_months_run_across_the_year_end() -> None:
    assert due_dates(MONTHLY, date(2025, 11, 15), 3) == (
        date(2025, 12, 15),
        date(2026, 1, 15),
        date(2026, 2, 15),
    )


def test_weekly_and_fortnightly_due_dates_are_7_and_14_days_apart() -> None:
    assert due_dates(WEEKLY, date(2026, 1, 15), 3) == (
        date(2026, 1, 22),
        date(2026, 1, 29),
        date(2026, 2, 5),
    )
    assert due_dates(FORTNIGHTLY, date(2026, 2, 20), 2) == (date(2026, 3, 6), date(2026, 3, 20))


def test_a_broken_first_period_anchors_the_following_due_dates_on_the_first() -> None:
    assert due_dates(MONTHLY, date(2026, 1, 15), 3, first_due=date(2026, 3, 1)) == (
        date(2026, 3, 1),
        date(2026, 4, 1),
        date(2026, 5, 1),
    )


def test_30e_360_counts_a_31st_as_the_30th() -> None:
    assert days_30e_360(date(2026, 1, 31), date(2026, 3, 1)) == 31
    assert days_30e_360(date(2026, 1, 15), date(2026, 3, 1)) == 46
    assert days_30e_360(date(2026, 3, 1), date(2026, 3, 31)) == 29


def test_regular_periods_are_actual_days_under_act_365_and_nominal_under_30_360() -> None:
    feb = (date(2024, 2, 1), date(2024, 3, 1))
    assert regular_year_fraction(DayCount.ACT_365, MONTHLY, *feb) == Fraction(29, 365)
    assert regular_year_fraction(DayCount.THIRTY_360, MONTHLY, *feb) == Fraction(1, 12)
    week = (date(2026, 1, 28), date(2026, 2, 4))
    assert regular_year_fraction(DayCount.THIRTY_360, WEEKLY, *week) == Fraction(7, 360)
    assert regular_year_fraction(DayCount.ACT_365, WEEKLY, *week) == Fraction(7, 365)


def test_the_elapsed_part_of_a_period_spreads_it_over_its_actual_days() -> None:
    start, due = date(2024, 2, 1), date(2024, 3, 1)
    month = Fraction(1, 12)
    assert elapsed_fraction(start, due, month, start) == 0
    assert elapsed_fraction(start, due, month, date(2024, 2, 15)) == month * Fraction(14, 29)
    assert elapsed_fraction(start, due, month, due) == month
    assert elapsed_fraction(start, due, month, date(2024, 4, 1)) == month


def _terms(**changes: object) -> ScheduleTerms:
    fields: dict[str, object] = {
        "principal_minor": 10_000_000,
        "annual_rate_percent": Decimal(7),
        "method": Method.DECLINING,
        "frequency": MONTHLY,
        "term": 3,
        "start": date(2026, 1, 15),
    }
    return ScheduleTerms(**(fields | changes))


@pytest.mark.parametrize(
    ("first_due", "days"),
    [(date(2026, 3, 1), 45), (date(2026, 2, 1), 17)],
    ids=["longer first period: 45 days", "shorter first period: 17 days"],
)
def test_a_broken_first_period_charges_interest_for_its_actual_days(
    first_due: date, days: int
) -> None:
    schedule = generate(_terms(first_due=first_due))
    # KES 100,000 x 7% x days / 365, to the cent
    expected = round(Fraction(10_000_000 * 7 * days, 100 * 365))
    assert schedule.instalments[0].interest_minor == expected
    assert schedule.instalments[0].period_start == date(2026, 1, 15)


def test_a_broken_first_period_under_30_360_counts_30e_360_days() -> None:
    schedule = generate(_terms(first_due=date(2026, 3, 1), day_count=DayCount.THIRTY_360))
    # 15 January to 1 March: 46 days of 30/360; the next months count 30 each.
    assert schedule.instalments[0].year_fraction == Fraction(46, 360)
    assert schedule.instalments[0].interest_minor == round(Fraction(10_000_000 * 7 * 46, 36_000))
    assert schedule.instalments[1].year_fraction == Fraction(1, 12)
