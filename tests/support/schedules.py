"""Hypothesis strategies for schedule terms, and an independent oracle of period lengths.

Loans are drawn across the products' range and beyond it: KES 1,000 per instalment up to
KES 5,000,000, 0-36% a year (sometimes with four decimal places), 1-36 instalments of every
frequency, day count and rounding, with or without a broken first period and graces.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume
from hypothesis import strategies as st

from app.loan_math.schedules.daycount import DayCount
from app.loan_math.schedules.due_dates import Frequency
from app.loan_math.schedules.methods import ScheduleNotAmortising, generate
from app.loan_math.schedules.rounding import Rounding
from app.loan_math.schedules.schedule import Instalment, Schedule
from app.loan_math.schedules.terms import Method, ScheduleTerms

NOMINAL_DAYS = {Frequency.WEEKLY: 7, Frequency.FORTNIGHTLY: 14, Frequency.MONTHLY: 30}


def months_later(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def one_period_later(frequency: Frequency, day: date, periods: int = 1) -> date:
    if frequency is Frequency.MONTHLY:
        return months_later(day, periods)
    return day + timedelta(days=NOMINAL_DAYS[frequency] * periods)


@st.composite
def schedule_terms(
    draw: st.DrawFn,
    *,
    methods: tuple[Method, ...] = tuple(Method),
    roundings: tuple[Rounding, ...] = tuple(Rounding),
    day_counts: tuple[DayCount, ...] = tuple(DayCount),
    frequencies: tuple[Frequency, ...] = tuple(Frequency),
    graces: bool = True,
    broken: bool = True,
) -> ScheduleTerms:
    term = draw(st.integers(1, 36), label="term")
    frequency = draw(st.sampled_from(frequencies), label="frequency")
    start = draw(st.dates(date(2020, 1, 1), date(2035, 12, 31)), label="start")
    first_due = None
    if broken and draw(st.booleans(), label="broken first period"):
        latest = one_period_later(frequency, start, 2)
        first_due = start + timedelta(days=draw(st.integers(1, (latest - start).days)))
    rate = draw(
        st.one_of(
            st.integers(0, 3_600).map(lambda bp: Decimal(bp) / 100),
            st.integers(0, 360_000).map(lambda x: Decimal(x) / 10_000),
        ),
        label="annual rate %",
    )
    grace_principal = draw(st.integers(0, term - 1), label="grace") if graces else 0
    grace_interest = draw(st.integers(0, grace_principal), label="interest grace")
    return ScheduleTerms(
        principal_minor=draw(st.integers(term * 100_000, 500_000_000), label="cents"),
        annual_rate_percent=rate,
        method=draw(st.sampled_from(methods), label="method"),
        frequency=frequency,
        term=term,
        start=start,
        first_due=first_due,
        grace_principal=grace_principal,
        grace_interest=grace_interest,
        rounding=draw(st.sampled_from(roundings), label="rounding"),
        day_count=draw(st.sampled_from(day_counts), label="day count"),
    )


def build(terms: ScheduleTerms) -> Schedule:
    """The schedule, the example discarded if the terms do not amortise (refused by design:
    an instalment below its interest, e.g. a long first period at a high rate)."""
    try:
        return generate(terms)
    except ScheduleNotAmortising:
        assume(False)
        raise


def oracle_fractions(terms: ScheduleTerms, schedule: Schedule) -> list[Fraction]:
    """Each period's year fraction recomputed from its dates by the documented rules."""
    fractions = []
    regular_first = terms.first_due is None or terms.first_due == one_period_later(
        terms.frequency, terms.start
    )
    for row in schedule.instalments:
        start, end = row.period_start, row.due_date
        if terms.day_count is DayCount.ACT_365:
            fractions.append(Fraction((end - start).days, 365))
        elif row.number == 1 and not regular_first:
            days = 360 * (end.year - start.year) + 30 * (end.month - start.month)
            fractions.append(Fraction(days + min(end.day, 30) - min(start.day, 30), 360))
        else:
            fractions.append(Fraction(NOMINAL_DAYS[terms.frequency], 360))
    return fractions


def balance_before(schedule: Schedule, row: Instalment) -> int:
    return row.balance_after_minor + row.principal_minor
