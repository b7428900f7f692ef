"""The limit policy in the fund's words."""

from __future__ import annotations

from app.lending.limits import KES, LimitFacts, LimitPolicy

POLICY = LimitPolicy()


def test_an_old_sim_with_strong_inflows_starts_at_kes_2000() -> None:
    assert (
        POLICY.initial(LimitFacts(sim_age_days=800, monthly_inflow_minor=40_000 * KES))
        == 2_000 * KES
    )


def test_a_sim_just_past_90_days_starts_at_kes_500() -> None:
    assert POLICY.initial(LimitFacts(sim_age_days=91, monthly_inflow_minor=0)) == 500 * KES


def test_a_score_band_overrides_the_rule_table() -> None:
    facts = LimitFacts(sim_age_days=91, monthly_inflow_minor=0, band="A1")
    assert POLICY.initial(facts) == 10_000 * KES


def test_one_loan_repaid_on_time_does_not_raise_the_limit_yet() -> None:
    assert POLICY.after_on_time_repayment(1_000 * KES, 1) == 1_000 * KES


def test_step_ups_are_40_60_and_100_percent_by_loans_repaid() -> None:
    assert POLICY.after_on_time_repayment(1_000 * KES, 2) == 1_400 * KES
    assert POLICY.after_on_time_repayment(1_000 * KES, 5) == 1_600 * KES
    assert POLICY.after_on_time_repayment(1_000 * KES, 10) == 2_000 * KES


def test_step_ups_round_down_to_whole_shillings_and_stop_at_the_product_maximum() -> None:
    assert POLICY.after_on_time_repayment(1_234_56, 2) == 1_728 * KES
    assert POLICY.after_on_time_repayment(40_000 * KES, 10) == 50_000 * KES


def test_a_default_resets_the_limit_to_the_floor() -> None:
    assert POLICY.after_default() == 100 * KES
