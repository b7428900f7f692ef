"""Asking for a rescoring from another use case's transaction (a repayment, a default).

The mark is a column on the borrower, written with the event, so the request cannot be lost
between the event's commit and the scoring; the sweep (``app.scoring.schedule``) acts on it.
"""

from __future__ import annotations

from datetime import datetime

from app.borrowers.models import Borrower
from app.scoring.models import Trigger


def mark_due(borrower: Borrower, trigger: Trigger, now: datetime) -> None:
    """Ask for a rescoring of ``borrower`` as soon as the sweep runs."""
    borrower.rescore_due_at = now
    borrower.rescore_trigger = trigger.value
