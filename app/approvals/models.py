"""Four-eyes requests and their decisions: one table family for every kind of change that
needs a maker and other people to decide it.

A request (``approval_requests``) is what the maker asked; each decision
(``approval_decisions``) is one checker's approve or reject, one row per (request, decider).
A request is approved once ``approvals_needed`` deciders approved it, rejected by the first
rejection, and expires (can no longer be approved) at ``expires_at``.

Invariants in the database: a decider is never the maker (``four_eyes`` here, and the
triggers of ``app.approvals.ddl`` on the decisions); one decision per decider; a decision is
made only while the request is pending and before it expires; a request is approved only
with enough approving decisions, rejected only with a rejecting one, expired only after its
time; at most one pending request per kind and subject; a request is never deleted, what was
asked never changes, and once decided it never changes again.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base
from ledger.sqltypes import BigIntPK, JSONDoc, UTCDateTime


class ApprovalKind(enum.StrEnum):
    PRODUCT_CHANGE = "product_change"
    LIMIT_OVERRIDE = "limit_override"
    WRITE_OFF = "write_off"
    MANUAL_JOURNAL = "manual_journal"
    SCORECARD_ACTIVATION = "scorecard_activation"
    RECON_RESOLUTION = "recon_resolution"
    """A reconciliation resolution that moves money (``app.reconciliation``)."""
    COLLECTION_REVERSAL = "collection_reversal"
    """Sending a mistaken paybill payment back (``app.mpesa.reversals``)."""
    FLOAT_TRANSFER = "float_transfer"
    """Moving money between the M-Pesa and Airtel floats (``app.accounting.float_transfers``)."""
    CRB_DISPUTE = "crb_dispute"
    """Resolving a borrower's dispute of their bureau record (``app.crb.dispute_kind``)."""
    GROUP_APPLICATION = "group_application"
    """A group loan application: the drawn members and two officials (``app.groups.gates``)."""
    GROUP_PAYOUT = "group_payout"
    """The payout gate of an approved group application: the same approvers again."""
    GROUP_OFFICIALS = "group_officials"
    """A change of a group's official, voted by the officials (``app.groups.officials``)."""
    LOAN_RESTRUCTURE = "loan_restructure"
    """Rescheduling an instalment loan (``app.lending.restructure_requests``)."""
    SME_LOAN_APPROVAL = "sme_loan_approval"
    """The second approval of an SME loan above its product's threshold (``app.sme``)."""
    STAFF_CREATION = "staff_creation"
    """A new staff user: one admin asks, another creates it (``app.admin.staff_requests``)."""


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    """Approved by enough deciders and applied, in the same transaction."""
    REJECTED = "rejected"
    """Any one eligible decider rejected it."""
    FAILED = "failed"
    """Approved, but no longer valid against the current state: nothing was applied."""
    WITHDRAWN = "withdrawn"
    """Taken back by its maker before a decision."""
    EXPIRED = "expired"
    """Not decided within its kind's time: it can no longer be approved."""


class Verdict(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


def _one_of(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


_PENDING = "status = 'pending'"
UNDECIDED_BY_A_CHECKER = ("withdrawn", "expired")
"""Closed without a checker: by the maker, or by time."""


class ApprovalRequest(Base):
    __tablename__ = "approval_requests"
    __table_args__ = (
        CheckConstraint(_one_of("kind", [k.value for k in ApprovalKind]), name="kind_known"),
        CheckConstraint(_one_of("status", [s.value for s in ApprovalStatus]), name="status_known"),
        CheckConstraint("checker IS NULL OR checker <> maker", name="four_eyes"),
        CheckConstraint(
            "(status = 'pending' AND checker IS NULL AND decided_at IS NULL) "
            "OR (status IN ('withdrawn', 'expired') AND checker IS NULL "
            "AND decided_at IS NOT NULL) "
            "OR (status IN ('approved', 'rejected', 'failed') AND checker IS NOT NULL "
            "AND decided_at IS NOT NULL)",
            name="decision_complete",
        ),
        CheckConstraint("approvals_needed BETWEEN 1 AND 20", name="approvals_needed_range"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        Index(
            "uq_approval_requests_one_pending",
            "kind",
            "subject_type",
            "subject_id",
            unique=True,
            postgresql_where=text(_PENDING),
            sqlite_where=text(_PENDING),
        ),
        Index("ix_approval_requests_status", "status", "id"),
        Index("ix_approval_requests_expiry", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(32))
    """What the change is to: product, borrower, loan, journal, recon_exception, receipt."""
    subject_id: Mapped[str] = mapped_column(String(64))
    """Product code, borrower id, loan id, the journal's reference, exception id, receipt."""
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """The change asked for, with what the maker saw (e.g. the product version), so the
    approval can tell whether the state moved since."""
    reason: Mapped[str] = mapped_column(String(500))
    """Why the maker asks for it."""
    maker: Mapped[str] = mapped_column(String(64))
    maker_role: Mapped[str] = mapped_column(String(16))
    request_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    """The maker's ``Idempotency-Key``: a retried request returns the first one."""
    status: Mapped[str] = mapped_column(String(12))
    approvals_needed: Mapped[int] = mapped_column(Integer, default=1)
    """How many deciders must approve (the kind's policy when it was asked); one rejection
    is enough to reject."""
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """After this a decision is refused and the request is closed as expired."""
    checker: Mapped[str | None] = mapped_column(String(64))
    """Who closed it by a decision: the approver whose approval completed it, or the
    rejecter (never the maker). Every decider is in ``approval_decisions``."""
    decision_note: Mapped[str | None] = mapped_column(String(300))
    """Why it was rejected, withdrawn, or why it failed on approval."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    """What the approval did (e.g. the ledger entry id), once approved."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    decisions: Mapped[list[ApprovalDecision]] = relationship(
        order_by="ApprovalDecision.id", lazy="selectin", viewonly=True
    )


class ApprovalDecision(Base):
    """One checker's word on a request: append-only, one per (request, decider)."""

    __tablename__ = "approval_decisions"
    __table_args__ = (
        CheckConstraint(_one_of("verdict", [v.value for v in Verdict]), name="verdict_known"),
        UniqueConstraint("request_id", "decider", name="uq_approval_decisions_one_per_decider"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"))
    decider: Mapped[str] = mapped_column(String(64))
    """Never the request's maker (a trigger)."""
    decider_role: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(String(300))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """Before the request's ``expires_at`` (a trigger)."""
