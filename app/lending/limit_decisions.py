"""Recording a limit change: the borrower's limit and a decision row saying why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.lending.models import LimitDecision


def record_limit(
    session: Session,
    borrower: Borrower,
    limit_minor: int,
    reason: str,
    facts: dict[str, Any],
    now: datetime,
    band: str | None = None,
) -> None:
    session.add(
        LimitDecision(
            borrower_id=borrower.id,
            previous_limit_minor=borrower.credit_limit_minor,
            limit_minor=limit_minor,
            band=band,
            reason=reason,
            facts=facts,
            decided_at=now,
        )
    )
    borrower.credit_limit_minor = limit_minor
    session.flush()
