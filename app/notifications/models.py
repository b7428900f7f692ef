"""The SMS outbox: a message is written in the same transaction as the event it reports, and
a worker sends it after commit (at least once; the dedupe key makes enqueueing idempotent)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, UTCDateTime


class SmsMessage(Base):
    __tablename__ = "sms_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_known"),
        Index("ix_sms_outbox_pending", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    """E.g. ``reminder:loan:42:day:9``: the same message is never queued twice."""
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    text: Mapped[str] = mapped_column(String(480))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
