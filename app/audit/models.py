"""The audit log's tables: the records, and the head of their hash chain.

Invariants in the database (``app.audit.ddl``): ``audit_log`` rows are never updated or
deleted; the head row is never deleted and may only advance by one, onto a row that exists
and links to the previous head. A record's ``id`` is its position in the chain (1, 2, 3...,
no gaps), assigned under the head's row lock, so concurrent appends cannot fork the chain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import JSONDoc, UTCDateTime

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first record (the head's hash of an empty chain)."""
HEAD_ID = 1


class AuditRecord(Base):
    """One staff action or maker-checker decision: who, what, when, before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("id >= 1", name="position_positive"),
        Index("ix_audit_log_actor", "actor", "id"),
        Index("ix_audit_log_action", "action", "id"),
        Index("ix_audit_log_subject", "subject_type", "subject_id", "id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    """Position in the chain, from 1 without gaps (the head's length when it was appended)."""
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    """Username of the staff member who acted."""
    role: Mapped[str] = mapped_column(String(16))
    """Their role at the time (roles can change; the record keeps the one that allowed it)."""
    action: Mapped[str] = mapped_column(String(64))
    """Dotted name of what was done, e.g. ``borrower.freeze``, ``approval.approve``."""
    subject_type: Mapped[str] = mapped_column(String(32))
    """What it was done to: borrower, loan, product, approval, journal, reversal..."""
    subject_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[Any | None] = mapped_column(JSONDoc)
    """The subject's relevant state before the action (no full phone or national ID)."""
    after: Mapped[Any | None] = mapped_column(JSONDoc)
    request_id: Mapped[str | None] = mapped_column(String(64))
    """The HTTP request id (``X-Request-ID``), to find the request's log lines."""
    prev_hash: Mapped[str] = mapped_column(String(64))
    """``hash`` of the record before it (``GENESIS_HASH`` for the first)."""
    hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 hex of the canonical form of every field above plus ``prev_hash``."""


class AuditChainHead(Base):
    """The single row naming the chain's last record: the lock appends take, and a check
    that no record was added or removed at the end behind the chain's back."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (
        CheckConstraint(f"id = {HEAD_ID}", name="single_row"),
        CheckConstraint("length >= 0", name="length_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    length: Mapped[int] = mapped_column(BigInteger)
    """Number of records in the chain (= the last record's id)."""
    last_hash: Mapped[str] = mapped_column(String(64))
    """Hash of the last record; ``GENESIS_HASH`` while the chain is empty."""
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
