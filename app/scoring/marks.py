"""Asking for a rescoring from another use case's transaction (a repayment, a default).

Lending announces ``LoanRepaid`` and ``LoanDefaulted`` (``app.events``); the handlers here,
subscribed by the bootstrap, mark the borrower. The mark is a column on the borrower, written
in the event's transaction, so the request cannot be lost between the event's commit and the
scoring; the sweep (``app.scoring.schedule``) acts on it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.lending.events import LoanDefaulted, LoanRepaid
from app.scoring.models import Trigger


def mark_due(borrower: Borrower, trigger: Trigger, now: datetime) -> None:
    """Ask for a rescoring of ``borrower`` as soon as the sweep runs."""
    borrower.rescore_due_at = now
    borrower.rescore_trigger = trigger.value


def on_loan_repaid(_session: Session, event: LoanRepaid) -> None:
    mark_due(event.borrower, Trigger.REPAID, event.at)


def on_loan_defaulted(_session: Session, event: LoanDefaulted) -> None:
    mark_due(event.borrower, Trigger.DEFAULT, event.at)
