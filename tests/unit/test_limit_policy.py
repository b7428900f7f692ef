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


def test_a_scored_borrower_starts_at_the_band_limit() -> None:
    assert POLICY.scored("A1") == 10_000 * KES
    assert POLICY.scored("C3") == 500 * KES


def test_band_limits_stay_within_the_product_floor_and_maximum() -> None:
    policy = LimitPolicy(band_limits={"A1": 90_000 * KES, "C3": 10 * KES})
    assert policy.scored("A1") == 50_000 * KES
    assert policy.scored("C3") == 100 * KES


def test_a_better_band_on_rescoring_lifts_the_limit_to_the_band_limit() -> None:
    assert POLICY.after_rescore(1_000 * KES, "A2", in_default=False) == 7_500 * KES


def test_a_small_fall_of_the_score_keeps_a_limit_earned_by_repaying() -> None:
    assert POLICY.after_rescore(4_200 * KES, "B1", in_default=False) == 4_200 * KES


def test_a_fall_into_band_c_lowers_the_limit_to_the_band_limit() -> None:
    assert POLICY.after_rescore(4_200 * KES, "C2", in_default=False) == 750 * KES


def test_in_default_the_limit_stays_at_the_floor_whatever_the_score() -> None:
    assert POLICY.after_rescore(100 * KES, "A1", in_default=True) == 100 * KES


def test_a_step_up_after_a_rescore_grows_from_the_scored_limit() -> None:
    scored = POLICY.after_rescore(500 * KES, "B2", in_default=False)
    assert POLICY.after_on_time_repayment(scored, 2) == 2_800 * KES


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
