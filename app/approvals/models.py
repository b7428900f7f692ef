"""Maker-checker requests: one table for every kind of change that needs a second person.

Invariants in the database: the checker is never the maker (``four_eyes``); a decided
request has a decision time and (unless withdrawn by its maker) a checker; at most one
pending request per kind and subject; and (``app.approvals.ddl``) a request is never
deleted, its kind, subject, payload and maker never change, and once decided it never
changes again.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, JSONDoc, UTCDateTime


class ApprovalKind(enum.StrEnum):
    PRODUCT_CHANGE = "product_change"
    LIMIT_OVERRIDE = "limit_override"
    WRITE_OFF = "write_off"
    MANUAL_JOURNAL = "manual_journal"
    SCORECARD_ACTIVATION = "scorecard_activation"


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    """Approved and applied, in the same transaction."""
    REJECTED = "rejected"
    FAILED = "failed"
    """Approved, but no longer valid against the current state: nothing was applied."""
    WITHDRAWN = "withdrawn"
    """Taken back by its maker before a decision."""


def _one_of(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


_PENDING = "status = 'pending'"


class ApprovalRequest(Base):
    __tablename__ = "approval_requests"
    __table_args__ = (
        CheckConstraint(_one_of("kind", [k.value for k in ApprovalKind]), name="kind_known"),
        CheckConstraint(_one_of("status", [s.value for s in ApprovalStatus]), name="status_known"),
        CheckConstraint("checker IS NULL OR checker <> maker", name="four_eyes"),
        CheckConstraint(
            "(status = 'pending' AND checker IS NULL AND decided_at IS NULL) "
            "OR (status = 'withdrawn' AND checker IS NULL AND decided_at IS NOT NULL) "
            "OR (status IN ('approved', 'rejected', 'failed') AND checker IS NOT NULL "
            "AND decided_at IS NOT NULL)",
            name="decision_complete",
        ),
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
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(32))
    """What the change is to: product, borrower, loan, journal."""
    subject_id: Mapped[str] = mapped_column(String(64))
    """Product code, borrower id, loan id, or the journal's reference."""
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """The change asked for, with what the maker saw (e.g. the product version), so the
    approval can tell whether the state moved since."""
    reason: Mapped[str] = mapped_column(String(300))
    """Why the maker asks for it."""
    maker: Mapped[str] = mapped_column(String(64))
    maker_role: Mapped[str] = mapped_column(String(16))
    request_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    """The maker's ``Idempotency-Key``: a retried request returns the first one."""
    status: Mapped[str] = mapped_column(String(12))
    checker: Mapped[str | None] = mapped_column(String(64))
    """Who approved or rejected it (never the maker)."""
    decision_note: Mapped[str | None] = mapped_column(String(300))
    """Why it was rejected, or why it failed on approval."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    """What the approval did (e.g. the ledger entry id), once approved."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
