"""The scorecard in hand-checked numbers: points per bin, totals, bands, reason codes, storage.

Worked example: two features, PDO 20, 600 points at good:bad odds 20:1, intercept -2.0.
factor = 20 / ln 2 = 28.8539; offset = 600 - 28.8539 * ln 20 = 600 - 86.4386 = 513.5614;
with n = 2 features each bin gets offset / 2 = 256.7807 and intercept / 2 = -1.0, so
points = round(-(coef * woe - 1.0) * 28.8539 + 256.7807).
"""

from __future__ import annotations

import json
import math
import random

import pytest

from app.scoring.binning import Bin, FeatureBinning
from app.scoring.scorecard import FeatureCard, Scaling, Scorecard
from app.scoring.training import make_table, train_scorecard


def numeric_binning(name: str, cuts: list[float], woes: list[float]) -> FeatureBinning:
    bounds: list[float | None] = [None, *cuts, None]
    bins = [
        Bin(label=f"bin {i}", woe=w, count=10, bad_count=1, lower=bounds[i], upper=bounds[i + 1])
        for i, w in enumerate(woes[:-1])
    ]
    bins.append(Bin(label="missing", woe=woes[-1], count=0, bad_count=0, is_missing=True))
    return FeatureBinning(name=name, kind="numeric", bins=tuple(bins))


def categorical_binning(name: str, woe_by_category: dict[str, float]) -> FeatureBinning:
    bins = [
        Bin(label=c, woe=w, count=10, bad_count=1, categories=(c,))
        for c, w in woe_by_category.items()
    ]
    bins.append(Bin(label="other", woe=0.0, count=0, bad_count=0, is_other=True))
    bins.append(Bin(label="missing", woe=0.0, count=0, bad_count=0, is_missing=True))
    return FeatureBinning(name=name, kind="categorical", bins=tuple(bins))


def card_from(binning: FeatureBinning, coefficient: float, label: str, n: int) -> FeatureCard:
    scaling, intercept = Scaling(), -2.0
    points = tuple(scaling.bin_points(coefficient, b.woe, intercept, n) for b in binning.bins)
    return FeatureCard(binning, coefficient, points, label)


def worked_example() -> Scorecard:
    tenure = numeric_binning("months_on_mpesa", [6, 24], [-0.5, 0.1, 0.8, 0.0])
    phone = categorical_binning("phone_type", {"smartphone": 0.3, "feature phone": -0.2})
    return Scorecard(
        features=(
            card_from(tenure, -0.9, "time on M-Pesa", 2),
            card_from(phone, -0.6, "kind of phone", 2),
        ),
        intercept=-2.0,
    )


def test_scaling_factor_and_offset_for_20_points_to_double_600_at_20_to_1() -> None:
    scaling = Scaling(pdo=20, base_points=600, base_odds=20)
    assert scaling.factor == pytest.approx(28.8539, abs=1e-4)
    assert scaling.offset == pytest.approx(513.5614, abs=1e-4)


def test_points_per_bin_match_the_hand_computation() -> None:
    tenure, phone = worked_example().features
    # coef -0.9: woe -0.5 -> 0.55 * 28.8539 + 256.7807 = 272.65 -> 273; woe 0.1 -> 1.09 * ...
    # = 288.23 -> 288; woe 0.8 -> 1.72 * ... = 306.41 -> 306; missing woe 0 -> 285.63 -> 286.
    assert tenure.points == (273, 288, 306, 286)
    # coef -0.6: smartphone woe 0.3 -> 1.18 * ... = 290.83 -> 291; feature phone -0.2 -> 0.88
    # * ... = 282.17 -> 282; other and missing (woe 0) -> 286.
    assert phone.points == (291, 282, 286, 286)


def test_long_tenure_smartphone_scores_597_band_b2() -> None:
    result = worked_example().score({"months_on_mpesa": 30, "phone_type": "smartphone"})
    assert (result.points, result.band) == (306 + 291, "B2")
    assert result.reasons == ()  # best bin of every feature: nothing to explain


def test_new_feature_phone_user_scores_555_band_c1_tenure_first_reason() -> None:
    result = worked_example().score({"months_on_mpesa": 3, "phone_type": "feature phone"})
    assert (result.points, result.band) == (273 + 282, "C1")
    assert dict(result.feature_points) == {"months_on_mpesa": 273, "phone_type": 282}
    assert [(r.feature, r.label, r.points_lost) for r in result.reasons] == [
        ("months_on_mpesa", "time on M-Pesa", 306 - 273),
        ("phone_type", "kind of phone", 291 - 282),
    ]


def test_missing_values_and_unseen_categories_take_the_neutral_bins() -> None:
    result = worked_example().score({"phone_type": "tablet"})
    assert dict(result.feature_points) == {"months_on_mpesa": 286, "phone_type": 286}


def test_score_is_the_scaled_log_odds_within_rounding() -> None:
    card = worked_example()
    # months 10 (woe 0.1), smartphone (woe 0.3): ln(odds bad) = -2.0 - 0.09 - 0.18 = -2.27
    exact = card.scaling.offset - card.scaling.factor * (-2.0 + -0.9 * 0.1 + -0.6 * 0.3)
    result = card.score({"months_on_mpesa": 10, "phone_type": "smartphone"})
    assert result.points == 288 + 291
    assert abs(result.points - exact) <= 0.5 * len(card.features)


@pytest.mark.parametrize(
    ("points", "band"),
    [(700, "A1"), (660, "A1"), (659, "A2"), (620, "A3"), (600, "B1"), (599, "B2"),
     (560, "B3"), (540, "C1"), (520, "C2"), (519, "C3"), (0, "C3")],
)  # fmt: skip
def test_bands_follow_the_documented_cutoffs(points: int, band: str) -> None:
    assert worked_example().band_for(points) == band


def test_reason_codes_are_the_four_features_that_cost_most_points() -> None:
    losses = {"a": 5, "b": 40, "c": 0, "d": 12, "e": 30, "f": 3}
    features = tuple(
        FeatureCard(
            binning=categorical_binning(name, {"best": 1.0, "worst": -1.0}),
            coefficient=-1.0,
            points=(100, 100 - lost, 100, 100),
            label=f"feature {name}",
        )
        for name, lost in losses.items()
    )
    card = Scorecard(features=features, intercept=0.0)
    result = card.score(dict.fromkeys(losses, "worst"))
    assert [(r.feature, r.points_lost) for r in result.reasons] == [
        ("b", 40),
        ("e", 30),
        ("d", 12),
        ("a", 5),
    ]
    assert all(r.bin_label == "worst" for r in result.reasons)


def synthetic_rows(count: int, seed: int) -> tuple[list[dict[str, object]], list[bool]]:
    """Income lowers risk, late repayments raise it, the region matters a little."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    bad: list[bool] = []
    for _ in range(count):
        income = rng.lognormvariate(9, 0.6)
        late = rng.randint(0, 5)
        region = rng.choice(["Nairobi", "Kisumu", "Mombasa", "Nakuru"])
        logit = 1.5 - 0.00012 * income + 0.5 * late + (0.4 if region == "Kisumu" else 0.0)
        bad.append(rng.random() < 1 / (1 + math.exp(-logit)))
        rows.append({"monthly_inflow": income if rng.random() > 0.03 else None,
                     "late_repayments": late, "region": region})  # fmt: skip
    return rows, bad


def test_trained_scorecard_survives_a_json_round_trip_and_scores_identically() -> None:
    rows, bad = synthetic_rows(600, seed=7)
    card = train_scorecard(make_table(rows, bad, ["monthly_inflow", "late_repayments", "region"]))
    stored = json.loads(json.dumps(card.to_dict()))
    restored = Scorecard.from_dict(stored)
    assert restored == card
    applicants = [*rows[:200], {}, {"region": "Garissa", "late_repayments": 9}]
    assert [restored.score(a) for a in applicants] == [card.score(a) for a in applicants]


def test_trained_points_follow_the_scaling_formula() -> None:
    rows, bad = synthetic_rows(600, seed=8)
    card = train_scorecard(make_table(rows, bad, ["monthly_inflow", "late_repayments", "region"]))
    n = len(card.features)
    for feature in card.features:
        expected = tuple(
            math.floor(
                -(feature.coefficient * b.woe + card.intercept / n) * card.scaling.factor
                + card.scaling.offset / n
                + 0.5
            )
            for b in feature.binning.bins
        )
        assert feature.points == expected
    late = next(f for f in card.features if f.name == "late_repayments")
    assert late.coefficient < 0  # higher WoE (fewer bads) lowers the odds of bad
    assert late.points[0] > late.points[-2]  # no late repayments beats the most
