"""Payouts: every B2C-style payment, from request to a known outcome.

State machine: pending (hold in the ledger, not yet sent) -> submitted (provider accepted the
request) -> succeeded | failed; or -> unknown (sent, outcome unknown: resolved by a status
query, never by sending again with a new id). ``originator_id`` is our id for the payment at
the provider (M-Pesa OriginatorConversationID): a retry reuses it, so the provider can refuse
a duplicate.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, UTCDateTime


class PayoutPurpose(enum.StrEnum):
    LOAN = "loan"
    TOPUP = "topup"
    SAVINGS_WITHDRAWAL = "savings_withdrawal"
    REFUND = "refund"
    """A borrower's credit balance paid back."""
    GROUP_LOAN = "group_loan"
    """One member's share of a group loan (``app.groups.disbursement``)."""


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"
    SUBMITTED = "submitted"
    UNKNOWN = "unknown"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


OPEN_PAYOUT_STATUSES = (PayoutStatus.PENDING, PayoutStatus.SUBMITTED, PayoutStatus.UNKNOWN)


class Payout(Base):
    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('loan', 'topup', 'savings_withdrawal', 'refund', 'group_loan')",
            name="purpose_known",
        ),
        CheckConstraint(
            "status IN ('pending', 'submitted', 'unknown', 'succeeded', 'failed')",
            name="status_known",
        ),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "principal_minor >= 0 AND savings_long_minor >= 0 AND savings_short_minor >= 0",
            name="parts_non_negative",
        ),
        CheckConstraint("network IN ('safaricom', 'airtel')", name="network_known"),
        Index("ix_payouts_open", "status", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    """The requester's key (app Idempotency-Key, USSD session hop): one request, one payout."""
    originator_id: Mapped[str] = mapped_column(String(40), unique=True)
    """Our id for this payment at the provider; reused on every retry."""
    purpose: Mapped[str] = mapped_column(String(24))
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    """Cash sent to the borrower's wallet."""
    network: Mapped[str] = mapped_column(String(12), server_default="safaricom")
    """Whose wallet it is sent through (safaricom: M-Pesa, airtel: Airtel Money): the
    borrower's network when it was requested; its hold is on that provider's float. Fixed
    for the payout's life, so a result or a query always goes to the provider that paid."""
    principal_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Loans: principal lent (cash plus savings withheld)."""
    savings_long_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    savings_short_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16))
    hold_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    """The ledger hold reserving the money; posted on success, voided on failure."""
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    """The provider's id for the request (M-Pesa ConversationID)."""
    provider_receipt: Mapped[str | None] = mapped_column(String(32), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(32))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Submissions and status queries made (bounded)."""
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
