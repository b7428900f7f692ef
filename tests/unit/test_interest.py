"""Interest in the product's own numbers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.loan_math.interest import (
    UNITS_PER_MINOR,
    AccrualState,
    InterestKind,
    RateSchedule,
    accrue_day,
    interest_for_term,
)

PERSONAL = RateSchedule(
    regular_rate_bp=800, penalty_rate_bp=950, penalty_from_day=15, accrual_stop_day=365
)


def accrue(
    principal_minor: int, days: int, schedule: RateSchedule = PERSONAL
) -> tuple[AccrualState, list[int]]:
    state, amounts = AccrualState(), []
    for _ in range(days):
        state, day = accrue_day(state, principal_minor, principal_minor, schedule)
        amounts.append(day.amount_minor)
    return state, amounts


def test_kes_500_for_14_days_accrues_1_53() -> None:
    state, _ = accrue(50_000, 14)
    assert (state.interest_minor, state.penalty_minor) == (153, 0)


def test_kes_10000_for_14_days_accrues_30_68() -> None:
    state, _ = accrue(1_000_000, 14)
    assert state.interest_minor == 3_068


def test_day_15_on_kes_10000_adds_2_60_penalty_at_9_5_percent() -> None:
    state, amounts = accrue(1_000_000, 15)
    assert amounts[-1] == 260
    assert (state.interest_minor, state.penalty_minor) == (3_068, 260)


def test_the_disclosure_figure_equals_fourteen_daily_accruals() -> None:
    for principal in (10_000, 50_000, 123_456, 1_000_000, 5_000_000):
        assert interest_for_term(principal, 14, 800) == accrue(principal, 14)[0].interest_minor


def test_accrual_stops_after_day_365() -> None:
    state, amounts = accrue(1_000_000, 400)
    assert amounts[365:] == [0] * 35
    assert state.days_accrued == 400


def test_in_duplum_caps_lifetime_interest_at_the_principal() -> None:
    greedy = RateSchedule(
        regular_rate_bp=800, penalty_rate_bp=500_000, penalty_from_day=15, accrual_stop_day=365
    )
    state, _ = accrue(10_000, 365, greedy)
    assert state.total_minor == 10_000


@given(
    principal=st.integers(1, 15_000_000),
    days=st.integers(1, 400),
    regular=st.integers(0, 5_000),
    penalty=st.integers(0, 5_000),
    penalty_from=st.integers(1, 60),
)
def test_daily_cents_sum_to_the_floor_of_the_exact_total(
    principal: int, days: int, regular: int, penalty: int, penalty_from: int
) -> None:
    schedule = RateSchedule(regular, penalty, penalty_from, accrual_stop_day=365)
    state, amounts = accrue(principal, days, schedule)
    exact_units = sum(principal * schedule.rate_bp(d) for d in range(1, min(days, 365) + 1))
    expected = min(exact_units // UNITS_PER_MINOR, principal)
    assert sum(amounts) == state.total_minor == expected
    assert all(a >= 0 for a in amounts)
    assert 0 <= state.carry_units < UNITS_PER_MINOR
    regular_days = [a for d, a in enumerate(amounts, 1) if schedule.kind(d) is InterestKind.REGULAR]
    assert state.interest_minor == sum(regular_days)
