"""The limit policy's promises for any limit, band and history (Hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.lending.limits import DEFAULT_BAND_LIMITS, KES, LimitPolicy

POLICY = LimitPolicy()
BANDS = list(DEFAULT_BAND_LIMITS)  # best first
limits = st.integers(POLICY.floor_minor // KES, POLICY.ceiling_minor // KES).map(lambda s: s * KES)
bands = st.sampled_from(BANDS)


@given(limits, bands, st.booleans())
def test_a_rescored_limit_stays_within_the_product_floor_and_maximum(
    current: int, band: str, in_default: bool
) -> None:
    limit = POLICY.after_rescore(current, band, in_default)
    assert POLICY.floor_minor <= limit <= POLICY.ceiling_minor
    assert limit % KES == 0


@given(limits, bands)
def test_in_default_the_limit_is_the_floor_whatever_the_band(current: int, band: str) -> None:
    assert POLICY.after_rescore(current, band, in_default=True) == POLICY.floor_minor


@given(limits, bands)
def test_only_a_band_in_c_lowers_a_limit_and_then_to_the_bands_limit(
    current: int, band: str
) -> None:
    limit = POLICY.after_rescore(current, band, in_default=False)
    if band in POLICY.lowering_bands:
        assert limit == POLICY.scored(band)
    else:
        assert limit == max(current, POLICY.scored(band))


@given(st.integers(0, len(BANDS) - 2))
def test_a_better_band_never_gets_a_smaller_limit(position: int) -> None:
    assert POLICY.scored(BANDS[position]) >= POLICY.scored(BANDS[position + 1])


@given(limits, st.integers(0, 200))
def test_a_step_up_never_lowers_a_limit_nor_passes_the_maximum(current: int, repaid: int) -> None:
    raised = POLICY.after_on_time_repayment(current, repaid)
    assert current <= raised <= POLICY.ceiling_minor
    assert raised % KES == 0
