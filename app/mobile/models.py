"""Tables of the mobile app API: sign-in sessions (token families) and phone verifications.

Invariants: no token, code, phone number or IP is stored in clear — tokens as SHA-256 (they
are 256-bit random, nothing to brute-force), one-time codes as a keyed digest (six digits
would be brute-forced from a plain hash), phones as a blind index plus a Fernet token. One
session row is one token family: it holds only the current access and refresh token, so
revoking a family is one row and a replayed old refresh token is recognised by its session
id (``app.mobile.tokens``).

The rate-limit counters (``app.security.rate_limits``) are imported here so that the models
registry (``app.models``) and this package's migration (0009) know their table.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.security.rate_limits import RateLimitCounter
from ledger.sqltypes import BigIntPK, UTCDateTime

MAX_CODE_ATTEMPTS = 5

__all__ = ["AppSession", "PhoneVerification", "RateLimitCounter", "RevokedBecause"]


class RevokedBecause(enum.StrEnum):
    LOGOUT = "logout"
    REFRESH_REUSED = "refresh_reused"
    """An old refresh token of the family came back: someone holds a copy."""
    PIN_CHANGED = "pin_changed"
    SESSION_CAP = "session_cap"
    """The borrower signed in on more devices than allowed: the oldest session ends."""


class AppSession(Base):
    __tablename__ = "app_sessions"
    __table_args__ = (
        CheckConstraint(
            "revoked_reason IS NULL OR revoked_reason IN "
            "('logout', 'refresh_reused', 'pin_changed', 'session_cap')",
            name="revoked_reason_known",
        ),
        CheckConstraint(
            "(revoked_at IS NULL) = (revoked_reason IS NULL)", name="revoked_with_reason"
        ),
        CheckConstraint("rotations >= 0", name="rotations_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    """Random id carried inside refresh tokens, so a replayed old one finds its family."""
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    access_token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 hex of the current access token; older ones stop working when rotated."""
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 hex of the current refresh token (the only one that may be used)."""
    refresh_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotations: Mapped[int] = mapped_column(Integer, default=0)
    """Refreshes so far."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """Sign-in time; no refresh extends a session past a fixed age from it."""
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(16))


class PhoneVerification(Base):
    """Proof that someone holds a phone: a one-time code sent by SMS, then a short-lived
    verification token that registration consumes. One row per phone; a new code replaces
    the last one."""

    __tablename__ = "app_phone_verifications"
    __table_args__ = (
        CheckConstraint(
            f"code_attempts >= 0 AND code_attempts <= {MAX_CODE_ATTEMPTS}",
            name="code_attempts_bounded",
        ),
        CheckConstraint(
            "(code_digest IS NULL) = (code_expires_at IS NULL)", name="code_with_expiry"
        ),
        CheckConstraint(
            "(token_sha256 IS NULL) = (token_expires_at IS NULL)", name="token_with_expiry"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    phone_index: Mapped[str] = mapped_column(String(64), unique=True)
    """Blind index (HMAC) of the 12-digit MSISDN, as on ``borrowers.phone_index``."""
    phone_enc: Mapped[str] = mapped_column(String(400))
    """The MSISDN, Fernet-encrypted: registration needs it after the code is checked."""
    code_nonce: Mapped[str] = mapped_column(String(32))
    """Random per code, mixed into its digest."""
    code_digest: Mapped[str | None] = mapped_column(String(64))
    """Keyed digest of the current code; NULL once used up, expired by tries, or verified."""
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Wrong tries at the current code."""
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 hex of the verification token given for the right code (single use)."""
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    """When the last code was sent; old rows are pruned from it."""
