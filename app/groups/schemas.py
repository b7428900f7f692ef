"""Bodies of the group routes (the app's and the staff's): requests refuse unknown fields
and bound every string and list; amounts are integer cents with a display form."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt

from app.api.bodies import FREE_TEXT, RowOut, StrictBody

MAX_SPLIT = 500
"""The most shares one application may list (far above any real group)."""
MAX_AMOUNT_MINOR = 100_000_000_00
Phone = Annotated[str, Field(min_length=9, max_length=20, examples=["0712345678"])]
AmountMinor = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT_MINOR, examples=[3_000_000])]
ShareMinor = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT_MINOR)]
BorrowerId = Annotated[StrictInt, Field(ge=1, le=2**62)]
Office = Literal["chair", "secretary", "treasurer"]


class CreateGroupIn(StrictBody):
    name: str = Field(min_length=3, max_length=100, pattern=FREE_TEXT)
    registration_number: str = Field(min_length=5, max_length=30, examples=["MSEA/1234567"])
    role: Office = Field(description="Your own office; the other two are invited by phone")
    officials: dict[Office, Phone] = Field(
        min_length=2,
        max_length=2,
        description="Phones of the two other officials, by office",
        examples=[{"secretary": "0712000011", "treasurer": "0712000012"}],
    )


class InviteIn(StrictBody):
    phone: Phone
    role: Literal["member", "chair", "secretary", "treasurer"] = Field(
        "member", description="An office only while the group is forming (a declined official)"
    )


class ShareIn(StrictBody):
    borrower_id: BorrowerId
    amount_minor: ShareMinor


class ApplicationIn(StrictBody):
    amount_minor: AmountMinor
    schedule: Literal["instalments", "lump_sum"] = "instalments"
    shares: list[ShareIn] = Field(min_length=1, max_length=MAX_SPLIT)


class OfficialChangeIn(StrictBody):
    role: Office
    borrower_id: BorrowerId


class NoteIn(StrictBody):
    note: str | None = Field(None, min_length=1, max_length=300, pattern=FREE_TEXT)


class GroupOut(RowOut):
    id: int
    name: str
    registration_number: str
    status: str
    score: int | None
    limit_minor: int
    limit_display: str = ""
    scored_at: datetime | None
    created_at: datetime
    activated_at: datetime | None
    my_role: str | None = None
    my_status: str | None = None


class MemberOut(RowOut):
    id: int
    """The membership's id (an invitation is accepted or declined by it)."""
    group_id: int
    borrower_id: int
    role: str
    status: str
    invited_at: datetime
    joined_at: datetime | None
    ended_at: datetime | None


class InvitationOut(BaseModel):
    id: int
    group_id: int
    group_name: str
    role: str
    invited_at: datetime


class ScoreOut(RowOut):
    id: int
    score: int
    limit_minor: int
    reasons: list[dict[str, Any]]
    facts: dict[str, Any]
    trigger: str
    decided_at: datetime


class GroupDetailOut(BaseModel):
    group: GroupOut
    members: list[MemberOut]
    latest_score: ScoreOut | None


class ShareOut(RowOut):
    borrower_id: int
    amount_minor: int


class InstalmentOut(BaseModel):
    number: int
    due_on: date
    principal_minor: int
    interest_minor: int
    total_minor: int


class DecisionRowOut(RowOut):
    decider: str
    verdict: str
    note: str | None
    decided_at: datetime


class GateOut(BaseModel):
    request_id: int
    kind: str
    status: str
    approvals_needed: int
    expires_at: datetime
    decisions: list[DecisionRowOut]


class ApplicationOut(BaseModel):
    id: int
    group_id: int
    applicant_id: int
    amount_minor: int
    amount_display: str
    schedule: str
    status: str
    group_limit_minor: int
    draw_seed: str
    """With ``draw_candidates``, anyone can draw ``drawn`` again (docs/groups.md)."""
    draw_candidates: list[int]
    drawn: list[int]
    approvers: list[int]
    shares: list[ShareOut]
    instalments: list[InstalmentOut]
    gates: list[GateOut]
    created_at: datetime
    closed_at: datetime | None


class GroupRequestOut(BaseModel):
    request_id: int
    kind: str
    group_id: int
    application_id: int | None
    amount_minor: int | None
    role: str | None
    """For an official change: the office, and ``borrower_id`` the member proposed."""
    borrower_id: int | None
    expires_at: datetime


class DecisionOut(BaseModel):
    request_id: int
    status: str
    """The request's status after your decision (``pending`` until everyone approved)."""
    applied: bool
