"""Binning: monotonic where declared, minimum shares, missing and rare categories, WoE."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scoring.binning import (
    SMOOTHING,
    Direction,
    bin_categorical,
    bin_numeric,
    smoothed_bad_rate,
    weight_of_evidence,
)

rows = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(-50, 50).map(float)), st.booleans()),
    min_size=2,
    max_size=300,
)


@settings(max_examples=200, deadline=None)
@given(rows=rows, direction=st.sampled_from(["increasing", "decreasing"]), share=st.floats(0, 0.3))
def test_declared_direction_gives_monotonic_bad_rates_and_woe(
    rows: list[tuple[float | None, bool]], direction: Direction, share: float
) -> None:
    values, bad = [v for v, _ in rows], [b for _, b in rows]
    binning = bin_numeric("x", values, bad, direction=direction, min_bin_share=share)
    ordered = binning.bins[:-1]  # the missing bin is last and outside the order
    rates = [smoothed_bad_rate(b.count, b.bad_count) for b in ordered]
    woes = [b.woe for b in ordered]
    pairs, woe_pairs = list(itertools.pairwise(rates)), list(itertools.pairwise(woes))
    if direction == "increasing":
        assert all(a < b for a, b in pairs)
        assert all(a > b for a, b in woe_pairs)
    else:
        assert all(a > b for a, b in pairs)
        assert all(a < b for a, b in woe_pairs)
    if len(ordered) > 1:
        assert all(b.count >= math.ceil(share * len(values)) for b in ordered)
    assert sum(b.count for b in binning.bins) == len(values)
    assert all(binning.bins[binning.index_of(v)].is_missing == (v is None) for v in values)


def test_risk_rising_with_the_value_is_found_increasing_and_binned_at_cut_points() -> None:
    values = list(range(100))
    bad = [v >= 70 and v % 3 != 0 for v in values]  # the top 30 are mostly bad
    binning = bin_numeric("days_late", values, bad, min_bin_share=0.1)
    assert binning.direction == "increasing"
    assert [b.label for b in binning.bins] == ["< 70", ">= 70", "missing"]
    assert (binning.index_of(69), binning.index_of(70), binning.index_of(None)) == (0, 1, 2)
    assert binning.bins[0].woe > 0 > binning.bins[1].woe


def test_woe_is_the_smoothed_log_ratio_of_good_and_bad_shares() -> None:
    # 8 goods and 2 bads in the bin, of 80 goods and 20 bads: shares 8.5/80.5 and 2.5/20.5
    expected = math.log((8 + SMOOTHING) / (80 + SMOOTHING) / ((2 + SMOOTHING) / (20 + SMOOTHING)))
    assert weight_of_evidence(8, 2, 80, 20) == pytest.approx(expected)


def test_missing_bin_is_neutral_when_training_had_no_missing_values() -> None:
    binning = bin_numeric("x", [1.0, 2.0, 3.0, 4.0], [False, True, False, True])
    assert binning.bins[-1].is_missing
    assert (binning.bins[-1].count, binning.bins[-1].woe) == (0, 0.0)


def test_rare_and_unseen_categories_share_the_other_bin() -> None:
    values = ["Nairobi"] * 50 + ["Kisumu"] * 45 + ["Lamu"] * 3 + ["Wajir"] * 2
    bad = [i % 4 == 0 for i in range(100)]
    binning = bin_categorical("county", values, bad, min_bin_share=0.05)
    assert [b.label for b in binning.bins] == ["Nairobi", "Kisumu", "other", "missing"]
    other = binning.bins[2]
    assert other.categories == ("Lamu", "Wajir")
    assert other.count == 5
    assert binning.index_of("Lamu") == binning.index_of("Garissa") == 2
    assert binning.index_of(None) == binning.index_of("") == 3
