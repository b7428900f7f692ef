"""Recording a limit change: the borrower's limit and a decision row saying why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.lending.models import LimitDecision


@dataclass(frozen=True, slots=True)
class LimitChange:
    """A new credit limit and why: stored as a ``LimitDecision`` beside the limit it sets."""

    limit_minor: int
    reason: str
    """``step_up``, ``default_reset``, ``override``, ``rescore``, ..."""
    facts: dict[str, Any]
    """What the decision rested on, for whoever asks later."""
    band: str | None = None


def record_limit(session: Session, borrower: Borrower, change: LimitChange, now: datetime) -> None:
    session.add(
        LimitDecision(
            borrower_id=borrower.id,
            previous_limit_minor=borrower.credit_limit_minor,
            limit_minor=change.limit_minor,
            band=change.band,
            reason=change.reason,
            facts=change.facts,
            decided_at=now,
        )
    )
    borrower.credit_limit_minor = change.limit_minor
    session.flush()
