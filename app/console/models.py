"""The console's sign-in sessions: one row per signed-in browser.

Invariants: the session token is never stored, only its SHA-256 (it is 256-bit random:
nothing to brute-force); a session ends at ``expires_at`` (its absolute lifetime) or after
the idle timeout since ``last_seen_at``, whichever comes first; signing out deletes the row.
The CSRF token is per session and every POST must carry it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, UTCDateTime


class ConsoleSession(Base):
    __tablename__ = "console_sessions"
    __table_args__ = (
        CheckConstraint("last_seen_at >= created_at", name="seen_after_start"),
        CheckConstraint("expires_at > created_at", name="expires_after_start"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
