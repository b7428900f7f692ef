"""Groups, memberships, the group product's rules, group scores, applications and their shares.

- ``GroupRules``: the group product's own data beside its ``products`` row (minimum size, how
  many groups a borrower may join, the approvers drawn and asked, the time to decide).
- ``Group``: one registered group; ``forming`` until its three officials have accepted, then
  ``active``; its current score and limit (the latest ``GroupScore``).
- ``GroupMember``: one borrower's place in one group, from invitation to leaving. ``role`` is
  ``member`` or an official's role (chair, secretary, treasurer).
- ``GroupScore``: every scoring of a group, with the reasons and the facts it rested on.
- ``GroupApplication``: a loan asked by an official: amount, schedule, the draw of approvers
  (seed, candidates in order, drawn), the two four-eyes requests (approval, payout gate).
- ``GroupApplicationShare``: each member's part of the amount (sums to it; never negative).

Invariants in the database: one live (invited or active) membership per (group, borrower);
one live holder per official role per group; one open application per group; shares never
negative, one per (application, borrower); statuses and roles known; amounts positive.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, JSONDoc, UTCDateTime


class Role(enum.StrEnum):
    MEMBER = "member"
    CHAIR = "chair"
    SECRETARY = "secretary"
    TREASURER = "treasurer"


OFFICIAL_ROLES = (Role.CHAIR, Role.SECRETARY, Role.TREASURER)


class MemberStatus(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DECLINED = "declined"
    LEFT = "left"
    REMOVED = "removed"


LIVE_MEMBER_STATUSES = (MemberStatus.INVITED, MemberStatus.ACTIVE)


class GroupStatus(enum.StrEnum):
    FORMING = "forming"
    """Created; waiting for the two invited officials to accept."""
    ACTIVE = "active"


class ApplicationStatus(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    """Waiting for the drawn members and two officials to approve."""
    PENDING_PAYOUT_APPROVAL = "pending_payout_approval"
    """Approved; the payout gate asks the same approvers again."""
    READY_FOR_PAYOUT = "ready_for_payout"
    """Both gates passed: the money may be paid out (the next part of group lending)."""
    REJECTED = "rejected"
    LAPSED = "lapsed"
    """Short of approvals at a gate's deadline."""
    WITHDRAWN = "withdrawn"
    FAILED = "failed"
    """Approved, but no longer valid when re-checked (a member left, the limit fell)."""
    LOAN_CLOSED = "loan_closed"
    """Paid out, and the group loan it became is over (repaid, or cancelled when no share
    could be sent): the group may apply again. Until then the application stays
    ``ready_for_payout``, open, so no member with a share leaves and no second loan is asked."""


OPEN_APPLICATION_STATUSES = (
    ApplicationStatus.PENDING_APPROVAL,
    ApplicationStatus.PENDING_PAYOUT_APPROVAL,
    ApplicationStatus.READY_FOR_PAYOUT,
)


class Schedule(enum.StrEnum):
    INSTALMENTS = "instalments"
    LUMP_SUM = "lump_sum"


def _one_of(column: str, values: type[enum.StrEnum] | tuple[enum.StrEnum, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


DATES_FOLLOW_STATUS = (
    "(status = 'invited' AND joined_at IS NULL AND ended_at IS NULL) "
    "OR (status = 'active' AND joined_at IS NOT NULL AND ended_at IS NULL) "
    "OR (status = 'declined' AND joined_at IS NULL AND ended_at IS NOT NULL) "
    "OR (status IN ('left', 'removed') AND joined_at IS NOT NULL AND ended_at IS NOT NULL)"
)
CLOSED_WHEN_DECIDED = (
    "(status IN ('pending_approval', 'pending_payout_approval')) = (closed_at IS NULL)"
)
_LIVE = _one_of("status", LIVE_MEMBER_STATUSES)
_OPEN = _one_of("status", OPEN_APPLICATION_STATUSES)


class GroupRules(Base):
    """The group product's rules that are not loan terms (those are its ``products`` row)."""

    __tablename__ = "group_rules"
    __table_args__ = (
        CheckConstraint("min_members >= 2", name="min_members_sane"),
        CheckConstraint("max_groups_per_borrower >= 1", name="max_groups_positive"),
        CheckConstraint(
            "drawn_approvers >= 1 AND official_approvers BETWEEN 1 AND 2", name="approvers"
        ),
        CheckConstraint("approval_hours > 0", name="approval_hours_positive"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), unique=True)
    min_members: Mapped[int] = mapped_column(Integer)
    """Active members (officials included) a group needs before it may apply (10)."""
    max_groups_per_borrower: Mapped[int] = mapped_column(Integer)
    """Live memberships (invited or active) one borrower may hold at once."""
    drawn_approvers: Mapped[int] = mapped_column(Integer)
    """Members drawn at random to approve an application (3)."""
    official_approvers: Mapped[int] = mapped_column(Integer)
    """Officials other than the applicant who must approve (2)."""
    approval_hours: Mapped[int] = mapped_column(Integer)
    """Time each gate waits for its approvals before the application lapses (72)."""


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint(_one_of("status", GroupStatus), name="status_known"),
        CheckConstraint("limit_minor >= 0", name="limit_non_negative"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_range"),
        CheckConstraint("savings_minor >= 0", name="savings_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    registration_number: Mapped[str] = mapped_column(String(20), unique=True)
    """Normalised (``MSEA/1234567``), checked against the register when the group is made."""
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    status: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    score: Mapped[int | None] = mapped_column(Integer)
    """The latest group score (0-100), None until first scored."""
    limit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    savings_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """The group's savings (5% of each group loan paid out): ledger account 2130."""
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (
        CheckConstraint(_one_of("role", Role), name="role_known"),
        CheckConstraint(_one_of("status", MemberStatus), name="status_known"),
        CheckConstraint(DATES_FOLLOW_STATUS, name="dates_follow_status"),
        Index(
            "uq_group_members_one_live",
            "group_id",
            "borrower_id",
            unique=True,
            postgresql_where=text(_LIVE),
            sqlite_where=text(_LIVE),
        ),
        Index(
            "uq_group_members_one_per_office",
            "group_id",
            "role",
            unique=True,
            postgresql_where=text(f"{_LIVE} AND role <> 'member'"),
            sqlite_where=text(f"{_LIVE} AND role <> 'member'"),
        ),
        Index("ix_group_members_borrower", "borrower_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    role: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("borrowers.id"))
    """The official who invited them (None for the creator)."""
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When they declined, left or were removed."""


class GroupScore(Base):
    """Every scoring of a group: the score, the limit and why (as for individuals)."""

    __tablename__ = "group_scores"
    __table_args__ = (
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
        CheckConstraint("limit_minor >= 0", name="limit_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    limit_minor: Mapped[int] = mapped_column(BigInteger)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    """``[{"code": ..., "label": ...}]``, most important first."""
    facts: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """What the score rested on (member ids and their points; no personal identifiers)."""
    trigger: Mapped[str] = mapped_column(String(16))
    """``scheduled``, ``application`` or ``requested``."""
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupApplication(Base):
    __tablename__ = "group_applications"
    __table_args__ = (
        CheckConstraint(_one_of("status", ApplicationStatus), name="status_known"),
        CheckConstraint(_one_of("schedule", Schedule), name="schedule_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("amount_minor <= group_limit_minor", name="within_limit"),
        CheckConstraint(CLOSED_WHEN_DECIDED, name="closed_when_decided"),
        Index(
            "uq_group_applications_one_open",
            "group_id",
            unique=True,
            postgresql_where=text(_OPEN),
            sqlite_where=text(_OPEN),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    """The official who applied: the maker of both requests, never an approver."""
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    product_terms: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """The product's terms when applied for (later edits never change the application)."""
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    schedule: Mapped[str] = mapped_column(String(12))
    group_limit_minor: Mapped[int] = mapped_column(BigInteger)
    """The group's limit as scored when it applied."""
    status: Mapped[str] = mapped_column(String(24))
    draw_seed: Mapped[str] = mapped_column(String(64))
    """Hex of 32 bytes from ``secrets``: with ``draw_candidates`` it gives ``drawn`` again."""
    draw_candidates: Mapped[list[int]] = mapped_column(JSONDoc)
    """Borrower ids the draw chose from, ascending: active non-official members."""
    drawn: Mapped[list[int]] = mapped_column(JSONDoc)
    """The drawn members' borrower ids, in draw order."""
    approvers: Mapped[list[int]] = mapped_column(JSONDoc)
    """Who decides both gates: the drawn members, then the officials other than the applicant."""
    approval_request_id: Mapped[int | None] = mapped_column(ForeignKey("approval_requests.id"))
    payout_request_id: Mapped[int | None] = mapped_column(ForeignKey("approval_requests.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When it was rejected, lapsed, withdrawn, failed or became ready for payout."""


class GroupApplicationShare(Base):
    """One member's part of an application: what they will owe of the group loan."""

    __tablename__ = "group_application_shares"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
        UniqueConstraint("application_id", "borrower_id", name="uq_group_shares_one_per_member"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("group_applications.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
