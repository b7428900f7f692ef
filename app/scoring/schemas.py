"""Response shapes of scoring, for staff (``/admin/v1/scorecards``, a borrower's decisions)
and for the borrower (``/api/v1/me/score``). Amounts are integers of minor units."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.borrowers.models import Borrower
from app.scoring.models import ScorecardVersion, ScoreDecision
from app.scoring.versions import load_card


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class VersionOut(_Out):
    id: int
    name: str
    status: str
    metrics: dict[str, Any]
    data_fingerprint: str
    data_rows: int
    trained_by: str
    trained_at: datetime
    activated_at: datetime | None
    activated_by: str | None
    retired_at: datetime | None


class BinOut(BaseModel):
    label: str
    points: int
    count: int
    bad_count: int
    woe: float


class FeatureOut(BaseModel):
    name: str
    label: str
    coefficient: float
    bins: list[BinOut]


class VersionDetailOut(VersionOut):
    features: list[FeatureOut]
    band_cutoffs: dict[str, int]

    @classmethod
    def of(cls, version: ScorecardVersion) -> VersionDetailOut:
        card = load_card(version)
        return cls.model_validate(
            {
                **VersionOut.model_validate(version).model_dump(),
                "band_cutoffs": dict(card.band_cutoffs),
                "features": [
                    FeatureOut(
                        name=f.name,
                        label=f.label,
                        coefficient=f.coefficient,
                        bins=[
                            BinOut(
                                label=b.label,
                                points=points,
                                count=b.count,
                                bad_count=b.bad_count,
                                woe=b.woe,
                            )
                            for b, points in zip(f.binning.bins, f.points, strict=True)
                        ],
                    )
                    for f in card.features
                ],
            }
        )


class ComparisonOut(BaseModel):
    base_version_id: int
    candidate_version_id: int
    base_metrics: dict[str, Any]
    candidate_metrics: dict[str, Any]
    borrowers_compared: int
    base_band_shares: dict[str, float]
    candidate_band_shares: dict[str, float]
    band_changed_share: float
    mean_points_shift: float


class ReasonOut(BaseModel):
    feature: str
    label: str
    bin: str
    points_lost: int


class DecisionOut(_Out):
    """A decision as staff see it: inputs, version, score, reasons and the limit."""

    id: int
    trigger: str
    treatment: str
    scorecard_version_id: int | None
    points: int | None
    band: str | None
    features: dict[str, Any]
    reasons: list[ReasonOut]
    previous_limit_minor: int
    limit_minor: int
    decided_at: datetime


class MyScoreOut(BaseModel):
    """What the borrower is told about their latest decision (Data Protection Act s.35)."""

    band: str | None
    limit_minor: int
    """The limit now (step-ups since the decision included)."""
    decided_limit_minor: int
    """The limit the decision set."""
    decided_at: datetime
    how: str
    """``scorecard``, ``thin_file`` or ``no_scorecard``."""
    scorecard_version: int | None
    reasons: list[str]
    """What cost the most points, worst first, in plain words."""
    next_review_at: datetime | None

    @classmethod
    def of(cls, decision: ScoreDecision, borrower: Borrower) -> MyScoreOut:
        return cls(
            band=borrower.score_band,
            limit_minor=borrower.credit_limit_minor,
            decided_limit_minor=decision.limit_minor,
            decided_at=decision.decided_at,
            how=decision.treatment,
            scorecard_version=decision.scorecard_version_id,
            reasons=[r["label"] for r in decision.reasons],
            next_review_at=borrower.rescore_due_at,
        )
