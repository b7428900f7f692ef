"""Scorecard versions: storing a trained card, loading the active one, activating another.

A stored artifact never changes: its SHA-256 (over canonical JSON) is kept beside it and
checked on every load, so what scores borrowers is exactly what was trained and approved.
Activation is a maker-checker request (``ScorecardActivationHandler``): a credit officer or
admin asks, another admin approves; the approval re-checks that the version is still not
active, that the active version is still the one the maker saw, and that the card only uses
features the decision code computes (a card trained on another table's columns would score
every borrower as "missing" and must not go live).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind
from app.audit.log import Actor, record
from app.errors import DomainError
from app.scoring.features import FEATURE_NAMES
from app.scoring.models import ScorecardVersion, VersionStatus
from app.scoring.scorecard import Scorecard
from ledger import Ledger

NAME_CHARS = 64


class ScorecardNotFound(DomainError, code="scorecard_not_found", http_status=404): ...


class ScorecardCorrupt(DomainError, code="scorecard_corrupt", http_status=500):
    """The stored artifact does not match its fingerprint."""


class ScorecardAlreadyActive(DomainError, code="scorecard_already_active", http_status=409): ...


class ActiveScorecardChanged(DomainError, code="active_scorecard_changed", http_status=409):
    """Another version was activated after the request was made."""


class ScorecardNotUsable(DomainError, code="scorecard_not_usable", http_status=422):
    """The card uses features the decisions do not compute."""


def artifact_sha256(artifact: Mapping[str, Any]) -> str:
    canonical = json.dumps(artifact, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def data_fingerprint(data: bytes, label_column: str, bad_value: str) -> str:
    """What a version learned from: the file's bytes and how its label was read."""
    digest = hashlib.sha256(data)
    digest.update(f"\0{label_column}\0{bad_value}".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainedCard:
    """A freshly trained scorecard and what it was trained on, to be stored as a draft."""

    card: Scorecard
    name: str
    metrics: Mapping[str, Any]
    data_fingerprint: str
    """SHA-256 of the training data (``data_fingerprint``), to tell which file taught it."""
    data_rows: int


def store_version(
    session: Session, trained: TrainedCard, *, trained_by: Actor, now: datetime
) -> ScorecardVersion:
    """A new draft version, audited (``scorecard.train``); activating it is a separate,
    four-eyes step."""
    name, metrics = trained.name, trained.metrics
    data_fingerprint, data_rows = trained.data_fingerprint, trained.data_rows
    artifact = trained.card.to_dict()
    version = ScorecardVersion(
        name=name[:NAME_CHARS],
        status=VersionStatus.DRAFT.value,
        artifact=artifact,
        artifact_sha256=artifact_sha256(artifact),
        metrics=dict(metrics),
        data_fingerprint=data_fingerprint,
        data_rows=data_rows,
        trained_by=trained_by.username,
        trained_at=now,
    )
    session.add(version)
    session.flush()
    record(
        session,
        trained_by,
        "scorecard.train",
        ("scorecard_version", version.id),
        now,
        after={  # the metrics stay on the version: the audit log takes no floats
            "name": version.name,
            "data_fingerprint": data_fingerprint,
            "data_rows": data_rows,
            "artifact_sha256": version.artifact_sha256,
        },
    )
    return version


def get_version(session: Session, version_id: int, lock: bool = False) -> ScorecardVersion:
    query = select(ScorecardVersion).where(ScorecardVersion.id == version_id)
    version = session.scalar(query.with_for_update() if lock else query)
    if version is None:
        raise ScorecardNotFound(f"No scorecard version {version_id}")
    return version


def active_version(session: Session) -> ScorecardVersion | None:
    return session.scalar(
        select(ScorecardVersion).where(ScorecardVersion.status == VersionStatus.ACTIVE.value)
    )


def load_card(version: ScorecardVersion) -> Scorecard:
    """The version's scorecard, after checking its fingerprint (parsed once per version)."""
    return _parsed(version.id, version.artifact_sha256, json.dumps(version.artifact))


@lru_cache(maxsize=16)
def _parsed(version_id: int, expected_sha256: str, artifact_json: str) -> Scorecard:
    artifact = json.loads(artifact_json)
    if artifact_sha256(artifact) != expected_sha256:
        raise ScorecardCorrupt(f"Scorecard version {version_id} does not match its fingerprint")
    return Scorecard.from_dict(artifact)


def unknown_features(card: Scorecard) -> list[str]:
    known = set(FEATURE_NAMES)
    return [c.name for c in card.features if c.name not in known]


class ScorecardActivationHandler(KindRules):
    kind = ApprovalKind.SCORECARD_ACTIVATION
    effect = "scorecard.activate"
    policy = DecisionPolicy(expires_after=timedelta(days=14))  # a model review takes longer

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        version = get_version(session, asked["version_id"])
        active = active_version(session)
        return {"version_id": version.id, "active_version_id": active.id if active else None}

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "scorecard_version", str(payload["version_id"])

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        version = get_version(session, payload["version_id"], lock=True)
        if version.status == VersionStatus.ACTIVE.value:
            raise ScorecardAlreadyActive(f"Scorecard version {version.id} is already active")
        active = active_version(session)
        active_id = active.id if active else None
        if active_id != payload["active_version_id"]:
            raise ActiveScorecardChanged(
                f"The active scorecard is now version {active_id}, not "
                f"{payload['active_version_id']} as when asked: ask again"
            )
        unknown = unknown_features(load_card(version))
        if unknown:
            raise ScorecardNotUsable(
                "The scorecard uses features no decision computes: " + ", ".join(unknown[:5])
            )
        return {"version_id": version.id, "status": version.status, "active_version_id": active_id}

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, _, approval, checker, now = approved.parts()
        active = active_version(session)
        if active is not None:
            active.status = VersionStatus.RETIRED.value
            active.retired_at = now
            session.flush()  # one active version at a time (a partial unique index)
        version = get_version(session, approval.payload["version_id"])
        version.status = VersionStatus.ACTIVE.value
        version.activated_at = now
        version.activated_by = checker.username
        version.retired_at = None
        session.flush()
        return {"version_id": version.id, "retired_version_id": active.id if active else None}


SCORECARD_ACTIVATION = ScorecardActivationHandler()
