"""Scorecard versions and the credit decisions taken with them.

- ``ScorecardVersion``: one trained scorecard, immutable once stored (its artifact, the
  cross-validated metrics and a fingerprint of the data it learned from). Status moves
  draft -> active -> retired; at most one version is active (a partial unique index), and
  a version becomes active only through a maker-checker approval (``app.scoring.versions``).
- ``ScoreDecision``: every scoring of a borrower, kept for the Data Protection Act s.35
  (an automated decision must be explainable on request): the version used (none for the
  thin-file and no-scorecard treatments), the features, the points, band and reason codes,
  and the limit before and after.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, JSONDoc, UTCDateTime


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class Trigger(enum.StrEnum):
    """Why a borrower was scored."""

    REGISTRATION = "registration"
    SCHEDULED = "scheduled"
    REPAID = "repaid"
    DEFAULT = "default"
    STAFF = "staff"
    REJOINED = "rejoined"
    """Opted in again after an opt-out."""


class Treatment(enum.StrEnum):
    SCORECARD = "scorecard"
    """Scored by the active scorecard: points, band, reasons."""
    THIN_FILE = "thin_file"
    """Too little history to score: the entry limit (docs/scoring.md, thin file)."""
    NO_SCORECARD = "no_scorecard"
    """No version active yet: the rule table of the limit policy decides."""


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class ScorecardVersion(Base):
    __tablename__ = "scorecard_versions"
    __table_args__ = (
        CheckConstraint(_one_of("status", VersionStatus), name="status_known"),
        CheckConstraint(
            "(status = 'draft' AND activated_at IS NULL AND retired_at IS NULL) "
            "OR (status = 'active' AND activated_at IS NOT NULL AND retired_at IS NULL) "
            "OR (status = 'retired' AND activated_at IS NOT NULL AND retired_at IS NOT NULL)",
            name="lifecycle_complete",
        ),
        Index(
            "uq_scorecard_versions_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    """The version number."""
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))
    artifact: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """``Scorecard.to_dict()``: bins, coefficients, points, scaling, band cut-offs."""
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the artifact's canonical JSON: checked each time it is loaded."""
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """Cross-validated figures (auc, gini, ks, baseline_auc, folds, seed, rows, bad_rate)."""
    data_fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the training data file, the label column and the bad value."""
    data_rows: Mapped[int] = mapped_column(Integer)
    trained_by: Mapped[str] = mapped_column(String(64))
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    activated_by: Mapped[str | None] = mapped_column(String(64))
    """The checker who approved the activation."""
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ScoreDecision(Base):
    __tablename__ = "score_decisions"
    __table_args__ = (
        CheckConstraint(_one_of("trigger", Trigger), name="trigger_known"),
        CheckConstraint(_one_of("treatment", Treatment), name="treatment_known"),
        CheckConstraint(
            "(treatment = 'scorecard') = "
            "(scorecard_version_id IS NOT NULL AND points IS NOT NULL AND band IS NOT NULL)",
            name="scored_iff_scorecard",
        ),
        CheckConstraint(
            "limit_minor >= 0 AND previous_limit_minor >= 0", name="limits_non_negative"
        ),
        Index("ix_score_decisions_borrower", "borrower_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    scorecard_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("scorecard_versions.id"), index=True
    )
    trigger: Mapped[str] = mapped_column(String(16))
    treatment: Mapped[str] = mapped_column(String(16))
    points: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(2))
    features: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """The inputs, by name (NaN stored as null: a missing value)."""
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    """Top reason codes, worst first: feature, label (plain words), bin, points lost."""
    previous_limit_minor: Mapped[int] = mapped_column(BigInteger)
    limit_minor: Mapped[int] = mapped_column(BigInteger)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
