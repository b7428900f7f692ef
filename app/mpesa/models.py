"""The callback inbox: every Daraja callback stored as received, before anything acts on it.

Invariant: one row per (kind, natural key) — CheckoutRequestID, TransID, or our
OriginatorConversationID — so a redelivered callback is stored once and can be processed
once. A body that cannot be read is stored too (keyed by its hash), never dropped.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import text

from app.db.base import Base
from ledger.sqltypes import BigIntPK, UTCDateTime


class CallbackStatus(enum.StrEnum):
    RECEIVED = "received"
    MALFORMED = "malformed"
    PROCESSED = "processed"
    FAILED = "failed"


class ReceiptStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class StkStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    UNKNOWN = "unknown"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ReversalStatus(enum.StrEnum):
    REQUESTED = "requested"
    """Its four-eyes request (``approval_id``) is pending."""
    APPROVED = "approved"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    """Rejected by a checker, or withdrawn by its requester."""
    EXPIRED = "expired"
    """Nobody decided it in time: ask again if it stands."""


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class MpesaCallback(Base):
    __tablename__ = "mpesa_callbacks"
    __table_args__ = (
        UniqueConstraint("kind", "natural_key", name="uq_mpesa_callbacks_kind_key"),
        CheckConstraint(_one_of("status", CallbackStatus), name="status_known"),
        Index("ix_mpesa_callbacks_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    """The path it came to: stk, c2b/validation, b2c/result, status/timeout..."""
    natural_key: Mapped[str] = mapped_column(String(80))
    """The provider's id for it (a redelivery has the same), or ``malformed:<sha256>``."""
    body: Mapped[str] = mapped_column(Text)
    """The body exactly as received (UTF-8, undecodable bytes replaced)."""
    status: Mapped[str] = mapped_column(String(12))
    error: Mapped[str | None] = mapped_column(String(300))
    """Why it is malformed or failed (field names only, never a phone number)."""
    source_ip: Mapped[str | None] = mapped_column(String(64))
    deliveries: Mapped[int] = mapped_column(Integer, default=1)
    """How many times the provider sent it (duplicates are counted, not stored again)."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UnmatchedReceipt(Base):
    """A payment we could not match to a loan: its money is in suspense (2900) until an
    officer assigns it (the exceptions queue). Never dropped, never applied twice."""

    __tablename__ = "unmatched_receipts"
    __table_args__ = (
        CheckConstraint(_one_of("status", ReceiptStatus), name="status_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    receipt: Mapped[str] = mapped_column(String(32), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    account_reference: Mapped[str | None] = mapped_column(String(64))
    """What the payer typed as the account (normalised)."""
    payer_hint: Mapped[str | None] = mapped_column(String(80))
    """The payer's number as the provider showed it (masked or hashed)."""
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime())
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    """The suspense entry: Dr float, Cr suspense."""
    status: Mapped[str] = mapped_column(String(8), default=ReceiptStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StkRequest(Base):
    """A repayment prompt sent to a borrower's phone (M-Pesa STK push, Airtel USSD push),
    from request to outcome.

    pending -> sent (the provider took it: ``checkout_id``) -> succeeded | failed; or
    unknown (no answer to the push: settled by the statement reconciliation, never pushed
    again automatically — a second prompt could make the borrower pay twice).
    """

    __tablename__ = "stk_requests"
    __table_args__ = (
        CheckConstraint(_one_of("status", StkStatus), name="status_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("network IN ('safaricom', 'airtel')", name="network_known"),
        Index("ix_stk_requests_open", "status", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    network: Mapped[str] = mapped_column(String(12), server_default="safaricom")
    """Whose push it is (safaricom: an M-Pesa STK push; airtel: an Airtel Money USSD push),
    the borrower's network when requested; the money lands on that provider's float."""
    status: Mapped[str] = mapped_column(String(12))
    checkout_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    """The provider's id for the prompt (CheckoutRequestID)."""
    receipt: Mapped[str | None] = mapped_column(String(32))
    result_code: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


REVERSAL_ACTIVE = (
    ReversalStatus.REQUESTED.value,
    ReversalStatus.APPROVED.value,
    ReversalStatus.SUBMITTED.value,
)


class CollectionReversal(Base):
    """Sending a mistaken payment back to its payer, under four eyes.

    requested (by one staff member) -> approved (by another: the money is held out of
    suspense) -> submitted (the provider took it) -> succeeded | failed (the hold is voided
    and the receipt is open again); or requested -> rejected | expired. While requested, the
    decision is the four-eyes engine's (``approval_id``, kind ``collection_reversal``); the
    status is mirrored from its request in the same transaction. At most one active reversal
    per receipt (a partial unique index), so a payment cannot be sent back twice.
    """

    __tablename__ = "collection_reversals"
    __table_args__ = (
        CheckConstraint(_one_of("status", ReversalStatus), name="status_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("approved_by IS NULL OR approved_by <> requested_by", name="four_eyes"),
        Index(
            "uq_collection_reversals_active_receipt",
            "receipt",
            unique=True,
            sqlite_where=text("status IN ('requested', 'approved', 'submitted')"),
            postgresql_where=text("status IN ('requested', 'approved', 'submitted')"),
        ),
        Index("ix_collection_reversals_due", "status", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approval_requests.id"), unique=True)
    """Its four-eyes request (``app.approvals``), which holds the decision and expiry."""
    receipt: Mapped[str] = mapped_column(ForeignKey("unmatched_receipts.receipt"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(64))
    """Or the one who rejected it."""
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hold_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    """Dr suspense / Cr float, pending until the provider reports."""
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    result_code: Mapped[str | None] = mapped_column(String(32))
    result_desc: Mapped[str | None] = mapped_column(String(200))
    reversal_receipt: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
