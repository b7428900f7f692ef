"""Properties of every generated schedule (Hypothesis), each against an independent oracle:
principal sums exactly to the loan; balances never negative; due dates strictly increase,
monthly ones clamped from the anchor day; total = principal + interest; EMI instalments equal
but the last; interest equal to the closed form to the cent; whole shillings but the last.
Recalculation and settlement properties are in test_schedule_recalc_properties.py.

"Interest equals the closed form to the cent" means: each period's interest is the balance
times the rate times the period's year fraction, rounded half to even (all methods), and the
EMI is the annuity closed form rounded to the cent, ``P i / (1 - (1 + i)^-n)`` when periods
are equal (30/360; weekly or fortnightly under ACT/365) and ``P / sum_k prod_j<=k 1/(1 + i_j)``
over ACT/365 calendar months. Totals then differ from ``n x EMI - P`` by rounding only,
within the bound derived below; flat interest equals ``P x r x term`` to the cent exactly.
"""

from __future__ import annotations

import calendar
import json
from datetime import date
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.loan_math.schedules.daycount import DayCount
from app.loan_math.schedules.due_dates import Frequency, due_dates
from app.loan_math.schedules.render import instalment_line
from app.loan_math.schedules.rounding import Rounding
from app.loan_math.schedules.terms import Method, ScheduleTerms
from tests.support.schedules import (
    balance_before,
    build,
    one_period_later,
    oracle_fractions,
    schedule_terms,
)

SETTINGS = settings(max_examples=300, deadline=None)


@SETTINGS
@given(schedule_terms())
def test_principal_sums_to_the_loan_and_balances_never_go_negative(terms: ScheduleTerms) -> None:
    schedule = build(terms)
    assert len(schedule.instalments) == terms.term
    assert sum(row.principal_minor for row in schedule.instalments) == terms.principal_minor
    repaid = 0
    for row in schedule.instalments:
        repaid += row.principal_minor
        assert row.principal_minor >= 0
        assert row.interest_minor >= 0
        assert row.balance_after_minor == terms.principal_minor - repaid >= 0
    assert schedule.instalments[-1].balance_after_minor == 0
    assert all(row.balance_after_minor > 0 for row in schedule.instalments[:-1])


@SETTINGS
@given(schedule_terms())
def test_due_dates_strictly_increase_and_periods_follow_each_other(terms: ScheduleTerms) -> None:
    schedule = build(terms)
    previous = terms.start
    for row in schedule.instalments:
        assert row.period_start == previous < row.due_date
        previous = row.due_date
    expected_first = terms.first_due or one_period_later(terms.frequency, terms.start)
    assert schedule.instalments[0].due_date == expected_first


@SETTINGS
@given(st.dates(date(1900, 1, 1), date(2200, 12, 31)), st.integers(1, 120))
def test_monthly_due_dates_clamp_to_month_end_from_the_anchor_day(anchor: date, count: int) -> None:
    for k, due in enumerate(due_dates(Frequency.MONTHLY, anchor, count), start=1):
        month_index = anchor.month - 1 + k
        assert (due.year, due.month) == (anchor.year + month_index // 12, month_index % 12 + 1)
        last_day = calendar.monthrange(due.year, due.month)[1]
        assert due.day == min(anchor.day, last_day)


@SETTINGS
@given(schedule_terms())
def test_each_total_is_principal_plus_interest_as_printed(terms: ScheduleTerms) -> None:
    schedule = build(terms)
    for row in schedule.instalments:
        printed = json.loads(instalment_line(row))
        as_cents = {
            key: int(printed[key].replace(".", ""))
            for key in ("principal", "interest", "total", "balance_after")
        }
        assert as_cents["total"] == as_cents["principal"] + as_cents["interest"]
        assert (as_cents["principal"], as_cents["interest"]) == (
            row.principal_minor,
            row.interest_minor,
        )
    assert schedule.total_minor == sum(row.total_minor for row in schedule.instalments)
    assert schedule.total_minor == terms.principal_minor + schedule.interest_minor


@SETTINGS
@given(schedule_terms(methods=(Method.EMI,)))
def test_emi_instalments_are_equal_except_the_last(terms: ScheduleTerms) -> None:
    schedule = build(terms)
    catch_up = terms.grace_interest  # index of the instalment collecting deferred interest
    deferred = sum(row.period_interest_minor for row in schedule.instalments[:catch_up])
    amortising = schedule.instalments[terms.grace_principal : -1]
    for index, row in enumerate(amortising, start=terms.grace_principal):
        extra = deferred if index == catch_up and catch_up > 0 else 0
        assert row.total_minor - extra == schedule.regular_minor


@SETTINGS
@given(schedule_terms(roundings=(Rounding.SHILLINGS,)))
def test_whole_shilling_rounding_leaves_every_instalment_but_the_last_whole(
    terms: ScheduleTerms,
) -> None:
    schedule = build(terms)
    assert all(row.total_minor % 100 == 0 for row in schedule.instalments[:-1])


@SETTINGS
@given(schedule_terms(roundings=(Rounding.CENTS,), graces=False))
def test_interest_of_every_period_is_the_closed_form_to_the_cent(terms: ScheduleTerms) -> None:
    schedule = build(terms)
    rate = Fraction(terms.annual_rate_percent) / 100
    fractions = oracle_fractions(terms, schedule)
    for row, fraction in zip(schedule.instalments, fractions, strict=True):
        assert row.year_fraction == fraction
        if terms.method is not Method.FLAT:
            assert row.interest_minor == round(balance_before(schedule, row) * rate * fraction)
    if terms.method is Method.FLAT:
        term_interest = round(terms.principal_minor * rate * sum(fractions))
        assert schedule.interest_minor == term_interest
    elif terms.method is Method.DECLINING:
        share = round(Fraction(terms.principal_minor, terms.term))
        assert {row.principal_minor for row in schedule.instalments[:-1]} <= {share}


@SETTINGS
@given(
    schedule_terms(methods=(Method.EMI,), roundings=(Rounding.CENTS,), graces=False, broken=False)
)
def test_the_emi_is_the_annuity_closed_form_to_the_cent(terms: ScheduleTerms) -> None:
    schedule = build(terms)
    rate = Fraction(terms.annual_rate_percent) / 100
    n, principal = terms.term, terms.principal_minor
    equal_periods = (
        terms.day_count is DayCount.THIRTY_360 or terms.frequency is not Frequency.MONTHLY
    )
    if equal_periods:
        days = {Frequency.WEEKLY: 7, Frequency.FORTNIGHTLY: 14, Frequency.MONTHLY: 0}
        i = (
            rate / 12
            if terms.frequency is Frequency.MONTHLY
            else rate * days[terms.frequency] / terms.day_count.days_in_year
        )
        growth = (1 + i) ** n
        exact = principal * i * growth / (growth - 1) if i else Fraction(principal, n)
    else:  # ACT/365 calendar months: the annuity over the actual months
        discount, exact = Fraction(1), Fraction(0)
        for fraction in oracle_fractions(terms, schedule):
            discount /= 1 + rate * fraction
            exact += discount
        exact = principal / exact
        growth = Fraction(1)
        for fraction in oracle_fractions(terms, schedule):
            growth *= 1 + rate * fraction
    assert schedule.regular_minor == round(exact)
    # Each period rounds its interest (<= 1/2 cent) and the EMI is rounded (<= 1/2 cent);
    # a cent of balance error compounds to at most ``growth`` by the end.
    bound = Fraction(n, 2) + (n - 1) * growth + 1
    assert abs(schedule.interest_minor - (n * exact - principal)) <= bound
