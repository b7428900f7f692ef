"""The scorecard: integer points per bin, a band, and the reason codes of a decision.

Scaling (higher score = lower risk). With ``factor = pdo / ln 2`` and
``offset = base_points - factor * ln(base_odds)`` (odds are good:bad), a score ``S`` means
good:bad odds of ``base_odds * 2 ** ((S - base_points) / pdo)``. The logistic regression
predicts ``ln(odds bad) = intercept + sum_j coef_j * woe_j``, so
``S = offset - factor * (intercept + sum_j coef_j * woe_j)``, spread evenly over the ``n``
features: the points of a bin of feature ``j`` are
``round_half_up(-(coef_j * woe + intercept / n) * factor + offset / n)``.

Reason codes (Data Protection Act s.35: an automated decision must be explainable) are the
features whose points fall furthest below the points of their best bin, at most four, with
plain-words labels. Invariant: ``Scorecard.from_dict(card.to_dict())`` scores exactly as
``card``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.scoring.binning import FeatureBinning

DEFAULT_PDO = 20.0
DEFAULT_BASE_POINTS = 600.0
DEFAULT_BASE_ODDS = 20.0
"""600 points = good:bad odds of 20:1 (a 4.8% bad rate); every 20 points double the odds."""
MAX_REASON_CODES = 4
DEFAULT_BAND_CUTOFFS: tuple[tuple[str, int], ...] = (
    ("A1", 660),
    ("A2", 640),
    ("A3", 620),
    ("B1", 600),
    ("B2", 580),
    ("B3", 560),
    ("C1", 540),
    ("C2", 520),
    ("C3", -(10**9)),
)
"""Lowest score of each band, best first: one band per PDO (each band's odds are double the
next one's), B1 starting at the base odds of 20:1; C3 takes everything below 520 (odds under
1.25:1)."""


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


@dataclass(frozen=True)
class Scaling:
    """Points to double the odds (``pdo``) and the score (``base_points``) at ``base_odds``."""

    pdo: float = DEFAULT_PDO
    base_points: float = DEFAULT_BASE_POINTS
    base_odds: float = DEFAULT_BASE_ODDS

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_points - self.factor * math.log(self.base_odds)

    def bin_points(self, coefficient: float, woe: float, intercept: float, n_features: int) -> int:
        share = -(coefficient * woe + intercept / n_features) * self.factor
        return round_half_up(share + self.offset / n_features)


@dataclass(frozen=True)
class FeatureCard:
    """One feature of the scorecard: its bins, its coefficient and the points of each bin."""

    binning: FeatureBinning
    coefficient: float
    points: tuple[int, ...]
    label: str
    """Plain words for the applicant ("length of the loan in months")."""

    @property
    def name(self) -> str:
        return self.binning.name

    @property
    def best_points(self) -> int:
        return max(self.points)


@dataclass(frozen=True)
class ReasonCode:
    feature: str
    label: str
    bin_label: str
    points_lost: int
    """Points below the feature's best bin."""


@dataclass(frozen=True)
class ScoreResult:
    points: int
    band: str
    feature_points: Mapping[str, int]
    reasons: tuple[ReasonCode, ...]


@dataclass(frozen=True)
class Scorecard:
    features: tuple[FeatureCard, ...]
    intercept: float
    scaling: Scaling = Scaling()
    band_cutoffs: tuple[tuple[str, int], ...] = DEFAULT_BAND_CUTOFFS

    def band_for(self, points: int) -> str:
        return next(band for band, lowest in self.band_cutoffs if points >= lowest)

    def score(self, applicant: Mapping[str, object]) -> ScoreResult:
        """Points, band and reason codes of one applicant (absent features count as missing)."""
        feature_points: dict[str, int] = {}
        shortfalls: list[tuple[int, int, ReasonCode]] = []
        for position, card in enumerate(self.features):
            index = card.binning.index_of(applicant.get(card.name))
            points = card.points[index]
            feature_points[card.name] = points
            lost = card.best_points - points
            if lost > 0:
                code = ReasonCode(card.name, card.label, card.binning.bins[index].label, lost)
                shortfalls.append((-lost, position, code))
        shortfalls.sort(key=lambda item: (item[0], item[1]))
        total = sum(feature_points.values())
        return ScoreResult(
            points=total,
            band=self.band_for(total),
            feature_points=feature_points,
            reasons=tuple(code for _, _, code in shortfalls[:MAX_REASON_CODES]),
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready dict (for storing a scorecard version)."""
        return {
            "intercept": self.intercept,
            "scaling": {
                "pdo": self.scaling.pdo,
                "base_points": self.scaling.base_points,
                "base_odds": self.scaling.base_odds,
            },
            "band_cutoffs": [[band, lowest] for band, lowest in self.band_cutoffs],
            "features": [
                {
                    "label": card.label,
                    "coefficient": card.coefficient,
                    "points": list(card.points),
                    "binning": card.binning.to_dict(),
                }
                for card in self.features
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scorecard:
        features = tuple(
            FeatureCard(
                binning=FeatureBinning.from_dict(f["binning"]),
                coefficient=float(f["coefficient"]),
                points=tuple(int(p) for p in f["points"]),
                label=f["label"],
            )
            for f in data["features"]
        )
        return cls(
            features=features,
            intercept=float(data["intercept"]),
            scaling=Scaling(**data["scaling"]),
            band_cutoffs=tuple((str(b), int(lowest)) for b, lowest in data["band_cutoffs"]),
        )
