"""Comparing two scorecard versions before one goes live: their training metrics side by
side, and how each would band the same recent borrowers.

The borrowers are the latest ``sample`` stored decisions' features (one per borrower, the
newest), so the comparison uses real applicants without fetching any wallet again; thin-file
decisions are left out (no card scores them). Each card scores every row; the answer has the
band shares under each card, the share of borrowers whose band changes, and the mean shift
in points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.scoring.models import ScorecardVersion, ScoreDecision, Treatment
from app.scoring.scorecard import DEFAULT_BAND_CUTOFFS
from app.scoring.versions import load_card

BANDS = tuple(band for band, _ in DEFAULT_BAND_CUTOFFS)


@dataclass(frozen=True)
class Comparison:
    base_metrics: dict[str, Any]
    candidate_metrics: dict[str, Any]
    borrowers_compared: int
    base_band_shares: dict[str, float]
    candidate_band_shares: dict[str, float]
    band_changed_share: float
    mean_points_shift: float


def compare(
    session: Session, base: ScorecardVersion, candidate: ScorecardVersion, sample: int
) -> Comparison:
    newest = (
        select(func.max(ScoreDecision.id))
        .where(ScoreDecision.treatment != Treatment.THIN_FILE.value)
        .group_by(ScoreDecision.borrower_id)
        .order_by(func.max(ScoreDecision.id).desc())
        .limit(sample)
    )
    rows = session.scalars(
        select(ScoreDecision.features).where(ScoreDecision.id.in_(newest.scalar_subquery()))
    ).all()
    base_card, candidate_card = load_card(base), load_card(candidate)
    base_scores = [base_card.score(features) for features in rows]
    candidate_scores = [candidate_card.score(features) for features in rows]
    n = len(rows)
    changed = sum(a.band != b.band for a, b in zip(base_scores, candidate_scores, strict=True))
    shift = sum(b.points - a.points for a, b in zip(base_scores, candidate_scores, strict=True))
    return Comparison(
        base_metrics=base.metrics,
        candidate_metrics=candidate.metrics,
        borrowers_compared=n,
        base_band_shares=_shares([s.band for s in base_scores]),
        candidate_band_shares=_shares([s.band for s in candidate_scores]),
        band_changed_share=round(changed / n, 4) if n else 0.0,
        mean_points_shift=round(shift / n, 2) if n else 0.0,
    )


def _shares(bands: list[str]) -> dict[str, float]:
    total = len(bands)
    return {band: round(bands.count(band) / total, 4) if total else 0.0 for band in BANDS}
