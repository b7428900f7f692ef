"""What lending announces (``app.events``): the facts other domains react to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.borrowers.models import Borrower


@dataclass(frozen=True, slots=True)
class LoanRepaid:
    """A loan was repaid in full (its row is already ``repaid``)."""

    borrower: Borrower
    loan_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class LoanDefaulted:
    """A loan went into default (the borrower is already frozen)."""

    borrower: Borrower
    loan_id: int
    at: datetime
