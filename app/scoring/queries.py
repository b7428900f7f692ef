"""Reading scorecard versions and score decisions (pages by id, newest decision first)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.scoring.models import ScorecardVersion, ScoreDecision

MAX_PAGE = 100


class NoDecisionYet(DomainError, code="no_decision_yet", http_status=404): ...


def list_versions(session: Session, after_id: int, limit: int) -> Sequence[ScorecardVersion]:
    return session.scalars(
        select(ScorecardVersion)
        .where(ScorecardVersion.id > after_id)
        .order_by(ScorecardVersion.id)
        .limit(min(limit, MAX_PAGE))
    ).all()


def decisions_of(session: Session, borrower_id: int, limit: int) -> Sequence[ScoreDecision]:
    return session.scalars(
        select(ScoreDecision)
        .where(ScoreDecision.borrower_id == borrower_id)
        .order_by(ScoreDecision.id.desc())
        .limit(min(limit, MAX_PAGE))
    ).all()


def latest_decision(session: Session, borrower_id: int) -> ScoreDecision:
    found = decisions_of(session, borrower_id, 1)
    if not found:
        raise NoDecisionYet("No credit decision is recorded for you yet")
    return found[0]
