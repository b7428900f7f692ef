"""The bodies of disputes, for staff (``app.crb.routes``) and borrowers (the app)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.api import params
from app.api.bodies import FREE_TEXT, ReasonIn, RowOut, StrictBody
from app.crb.dispute_kind import Outcome
from app.crb.disputes import NOTE_CHARS
from app.crb.models import DisputeReason


class DisputeOut(RowOut):
    id: int
    borrower_id: int
    loan_id: int
    reason: str
    note: str | None
    channel: str
    status: str
    opened_at: datetime
    respond_by: date
    resolved_at: datetime | None
    resolution_note: str | None
    correction: str | None
    approval_id: int | None


class DisputeIn(StrictBody):
    loan_id: params.BodyId
    reason: DisputeReason
    note: str | None = Field(default=None, min_length=1, max_length=NOTE_CHARS, pattern=FREE_TEXT)


class ResolutionIn(ReasonIn):
    outcome: Outcome


class ListingOut(BaseModel):
    """A pre-listing notice and what became of it, as the app shows it."""

    account_number: str
    state: str
    """``notice_sent``, ``listed``, ``withdrawn``, ``cleared``, ``delisted`` or ``lifted``."""
    noticed_amount_minor: int
    notice_on: date
    listing_on: date
    """The earliest day the loan is listed if still owing more than KES 1,000."""
    listed_on: date | None
    closed_on: date | None
