"""Tables of the USSD channel: sessions (the state of each dialogue), registrations waiting
for the identity checks, and the gateway's end-of-session notifications.

Invariants: a session belongs to one phone (its blind index), and nothing typed on the
handset is stored in clear: the last hop's text is kept only as a keyed digest (it holds
PINs and national IDs), a national ID only encrypted, a PIN only as its scrypt hash. At most
one registration per phone waits for its checks (a partial unique index).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, JSONDoc, UTCDateTime


class UssdSession(Base):
    __tablename__ = "ussd_sessions"
    __table_args__ = (
        CheckConstraint("hops >= 0 AND last_text_chars >= 0", name="counts_non_negative"),
        Index("ix_ussd_sessions_updated_at", "updated_at"),
    )

    session_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    """The gateway's ``sessionId``, constant across the hops of one dial."""
    phone_index: Mapped[str] = mapped_column(String(64))
    """Blind index of the caller's MSISDN: a hop from another phone is refused."""
    service_code: Mapped[str] = mapped_column(String(40))
    network_code: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(32))
    """The screen waiting for the caller's next input (``app.ussd.flow``)."""
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """What earlier screens collected (an amount, an encrypted ID, a new PIN's hash);
    emptied when the session ends."""
    hops: Mapped[int] = mapped_column(Integer)
    """Hops answered so far: the version a slow hop checks before it acts."""
    last_text_digest: Mapped[str] = mapped_column(String(64))
    """Keyed digest of the last hop's ``text`` (all inputs joined by ``*``)."""
    last_text_chars: Mapped[int] = mapped_column(Integer)
    """Length of that text: where the next hop's new input starts."""
    last_reply: Mapped[str] = mapped_column(String(200))
    """The answer given to the last hop (``CON ...``/``END ...``), re-sent on a retry."""
    ended: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    """Collected over USSD; the identity register and the network are not asked yet."""
    COMPLETED = "completed"
    """Opted in: ``borrower_id`` is set; the welcome SMS is in the outbox."""
    REFUSED = "refused"
    """A rule refused it (``reason``); the caller is told by SMS."""
    FAILED = "failed"
    """The checks could not be run after several tries; the caller is told by SMS."""


class UssdRegistration(Base):
    __tablename__ = "ussd_registrations"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'completed', 'refused', 'failed')", name="status_known"
        ),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index(
            "uq_ussd_registrations_one_pending_per_phone",
            "phone_index",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_ussd_registrations_due", "status", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(100), unique=True)
    """The USSD session that collected it: one registration per session."""
    phone_index: Mapped[str] = mapped_column(String(64))
    phone_enc: Mapped[str] = mapped_column(String(400))
    """The caller's MSISDN, Fernet-encrypted (the refusal SMS goes there)."""
    national_id_enc: Mapped[str | None] = mapped_column(String(400))
    """The national ID typed, Fernet-encrypted; cleared once the registration is decided."""
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    """The chosen PIN's peppered scrypt hash; cleared once the registration is decided."""
    terms_version: Mapped[str] = mapped_column(String(16))
    """The terms the caller accepted on the handset."""
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(64))
    """Code of the rule that refused it, or of the last error while checking."""
    borrower_id: Mapped[int | None] = mapped_column(ForeignKey("borrowers.id"))
    attempts: Mapped[int] = mapped_column(Integer)
    """Times the checks were started (the provider calls can fail and are retried)."""
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the sweep may (re)start the checks of a pending registration."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sms_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the refusal or failure SMS was sent (a completion's SMS goes via the outbox)."""


class UssdSessionEvent(Base):
    """The gateway's end-of-session notification, as received (one per session)."""

    __tablename__ = "ussd_session_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(100), unique=True)
    phone_index: Mapped[str | None] = mapped_column(String(64))
    """Blind index of the caller's number (never the number itself)."""
    service_code: Mapped[str] = mapped_column(String(40))
    network_code: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16))
    """``Success`` (we sent END), ``Incomplete`` (the caller left) or ``Failed``."""
    error_message: Mapped[str | None] = mapped_column(String(500))
    hops_count: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[str | None] = mapped_column(String(32))
    """As the gateway writes it, e.g. ``KES 0.0000``."""
    gateway_date: Mapped[str | None] = mapped_column(String(32))
    """The gateway's ``date`` (``yyyy-MM-dd HH:mm:ss``), as given."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
