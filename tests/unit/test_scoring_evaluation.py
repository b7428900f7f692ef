"""Cross-validation figures: AUC, Gini, KS by hand, and a fast smoke run on synthetic loans."""

from __future__ import annotations

import time

import pytest

from app.scoring.evaluation import cross_validate, figures
from app.scoring.training import make_table
from tests.unit.test_scoring_scorecard import synthetic_rows


def test_figures_of_a_perfect_and_a_half_right_ranking() -> None:
    perfect = figures([True, True, False, False], [4, 3, 2, 1])
    assert (perfect.auc, perfect.gini, perfect.ks) == (1.0, 1.0, 1.0)
    # pairs (bad, good): (3>2) (3>1) (0<2) (0<1) -> AUC 2/4; KS: after the top score, 1/2 of
    # bads and 0 of goods are above the cut.
    half = figures([True, True, False, False], [3, 0, 2, 1])
    assert (half.auc, half.gini, half.ks) == (0.5, 0.0, 0.5)


@pytest.mark.slow  # 10-fold cross-validation: 1.8 s
def test_cross_validation_on_synthetic_loans_ranks_both_models_and_is_seeded() -> None:
    rows, bad = synthetic_rows(500, seed=11)
    table = make_table(rows, bad, ["monthly_inflow", "late_repayments", "region"])
    started = time.perf_counter()
    first = cross_validate(table, folds=5, seed=3)
    assert time.perf_counter() - started < 5
    assert [f.test_rows for f in first.folds] == [100] * 5
    for model in ("scorecard", "baseline"):
        assert first.mean(model, "auc") > 0.65
        assert first.mean(model, "gini") == pytest.approx(2 * first.mean(model, "auc") - 1)
        assert 0 < first.mean(model, "ks") <= 1
    assert cross_validate(table, folds=5, seed=3) == first
