"""Properties of recalculation and settlement (Hypothesis): a prepayment conserves money (the
principal of the instalments paid + the principal prepaid + the new schedule's principal is
the loan); reduce-term keeps the instalment and shortens the term; recalculating with nothing
prepaid changes nothing; a settlement quote is the principal outstanding plus the interest
accrued to the date (never less than the principal); late-payment interest adds exactly
itself and nothing else."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.loan_math.schedules.recalc import (
    LatePaymentRule,
    PrepaymentStrategy,
    apply_prepayment,
    prepayment_bounds,
    recalculate,
    recalculate_after_late_payment,
)
from app.loan_math.schedules.rounding import Rounding
from app.loan_math.schedules.schedule import Schedule
from app.loan_math.schedules.settlement import settlement_quote
from app.loan_math.schedules.terms import Method
from tests.support.schedules import balance_before, build, schedule_terms

SETTINGS = settings(max_examples=200, deadline=None)


@st.composite
def schedule_and_day(draw: st.DrawFn, **kinds: object) -> tuple[Schedule, date]:
    schedule = build(draw(schedule_terms(**kinds)))  # type: ignore[arg-type]
    last = schedule.instalments[-1].due_date
    day = schedule.start + timedelta(days=draw(st.integers(0, (last - schedule.start).days)))
    return schedule, day


def paid_before(schedule: Schedule, day: date) -> int:
    return sum(row.principal_minor for row in schedule.instalments if row.due_date < day)


@SETTINGS
@given(schedule_and_day(), st.sampled_from(PrepaymentStrategy), st.fractions(0, 1))
def test_a_prepayment_conserves_money(
    drawn: tuple[Schedule, date], strategy: PrepaymentStrategy, share: Fraction
) -> None:
    schedule, day = drawn
    quote = settlement_quote(schedule, day)
    least, most = prepayment_bounds(schedule, day)
    amount = least + round((most - least) * share)
    assume(amount > 0)
    outcome = apply_prepayment(schedule, paid_on=day, amount_minor=amount, strategy=strategy)
    rest = outcome.schedule
    new_principal = 0 if rest is None else sum(row.principal_minor for row in rest.instalments)
    total = paid_before(schedule, day) + outcome.principal_minor + new_principal
    assert total == schedule.principal_minor
    assert outcome.interest_minor == quote.interest_minor
    if rest is None:
        assert amount == quote.total_minor
        return
    assert rest.principal_minor == new_principal
    later = [row for row in schedule.instalments if row.due_date > day]
    assert [row.due_date for row in rest.instalments] == [
        row.due_date for row in later[: len(rest.instalments)]
    ]
    assert [row.number for row in rest.instalments] == [
        row.number for row in later[: len(rest.instalments)]
    ]
    assert rest.instalments[0].period_start == day
    assert all(row.balance_after_minor >= 0 for row in rest.instalments)
    # At least KES 1 an instalment, rounded to the cent: no early end.
    enough = rest.principal_minor >= 100 * len(later) and rest.terms.rounding is Rounding.CENTS
    if strategy is PrepaymentStrategy.REDUCE_INSTALMENT and enough:
        assert len(rest.instalments) == len(later)
    if rest.terms.rounding is Rounding.SHILLINGS:
        assert all(row.total_minor % 100 == 0 for row in rest.instalments[:-1])


@SETTINGS
@given(schedule_and_day(methods=(Method.EMI,), graces=False), st.fractions(0, 1))
def test_reduce_term_keeps_the_instalment_and_never_lengthens_the_term(
    drawn: tuple[Schedule, date], share: Fraction
) -> None:
    schedule, day = drawn
    least, most = prepayment_bounds(schedule, day)
    amount = least + round((most - 1 - least) * share)
    assume(day < schedule.instalments[-1].due_date and amount > 0)
    rest = apply_prepayment(
        schedule, paid_on=day, amount_minor=amount, strategy=PrepaymentStrategy.REDUCE_TERM
    ).schedule
    assert rest is not None
    later = [row for row in schedule.instalments if row.due_date > day]
    assert len(rest.instalments) <= len(later)
    assert rest.regular_minor == schedule.regular_minor
    assert all(row.total_minor == schedule.regular_minor for row in rest.instalments[:-1])


@SETTINGS
@given(
    st.data(),
    schedule_terms(methods=(Method.EMI, Method.DECLINING), graces=False),
)
def test_recalculating_on_a_due_date_with_nothing_prepaid_changes_nothing(
    data: st.DataObject, terms: object
) -> None:
    schedule = build(terms)  # type: ignore[arg-type]
    assume(len(schedule.instalments) > 1)
    index = data.draw(st.integers(0, len(schedule.instalments) - 2), label="due date index")
    due = schedule.instalments[index]
    rest = recalculate(
        schedule,
        on=due.due_date,
        outstanding_principal_minor=due.balance_after_minor,
        strategy=PrepaymentStrategy.REDUCE_TERM,
    )
    assert rest.instalments == schedule.instalments[index + 1 :]


@SETTINGS
@given(schedule_and_day())
def test_a_settlement_quote_is_principal_plus_interest_accrued_to_the_day(
    drawn: tuple[Schedule, date],
) -> None:
    schedule, day = drawn
    quote = settlement_quote(schedule, day)
    current = next(row for row in schedule.instalments if row.due_date >= day)
    assert quote.principal_minor == balance_before(schedule, current)
    assert quote.total_minor == quote.principal_minor + quote.interest_minor
    assert quote.total_minor >= quote.principal_minor
    terms = schedule.terms
    if (
        terms.method is Method.FLAT
        or terms.grace_interest
        or current.number <= terms.grace_principal
    ):
        return  # deferred and interest-only periods: see test_schedules_recalc.py
    period_days = (current.due_date - current.period_start).days
    elapsed = Fraction((day - current.period_start).days, period_days)
    rate = Fraction(terms.annual_rate_percent) / 100
    accrued = round(quote.principal_minor * rate * current.year_fraction * elapsed)
    assert quote.interest_minor == min(accrued, current.period_interest_minor)
    if day == current.due_date:
        assert quote.interest_minor == current.interest_minor


@SETTINGS
@given(schedule_and_day(graces=False))
def test_a_settlement_quote_grows_day_by_day_within_a_period(drawn: tuple[Schedule, date]) -> None:
    schedule, day = drawn
    current = next(row for row in schedule.instalments if row.due_date >= day)
    assume(day < current.due_date)
    today, tomorrow = (
        settlement_quote(schedule, day),
        settlement_quote(schedule, day + timedelta(1)),
    )
    assert today.principal_minor == tomorrow.principal_minor
    assert today.interest_minor <= tomorrow.interest_minor


@SETTINGS
@given(
    schedule_and_day(),
    st.sampled_from(LatePaymentRule),
    st.data(),
)
def test_late_payment_interest_adds_exactly_itself(
    drawn: tuple[Schedule, date], rule: LatePaymentRule, data: st.DataObject
) -> None:
    schedule, _ = drawn
    row = data.draw(st.sampled_from(schedule.instalments), label="instalment paid late")
    days_late = data.draw(st.integers(0, 120), label="days late")
    paid_on = row.due_date + timedelta(days=days_late)
    later = recalculate_after_late_payment(schedule, number=row.number, paid_on=paid_on, rule=rule)
    extra = later.interest_minor - schedule.interest_minor
    assert extra >= 0
    assert [r.principal_minor for r in later.instalments] == [
        r.principal_minor for r in schedule.instalments
    ]
    assert sum(r.late_interest_minor for r in later.instalments) == extra
    if rule is LatePaymentRule.NONE or days_late == 0:
        assert later == schedule
    if schedule.terms.rounding is Rounding.SHILLINGS:
        assert extra % 100 == 0
