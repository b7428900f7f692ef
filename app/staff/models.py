"""Staff users. A token is shown once at creation; only its SHA-256 is stored (tokens are
256-bit random, so a fast hash is enough: there is nothing to brute-force).

The console's sign-in (``app.staff.credentials``): a password kept as a slow scrypt hash, a
TOTP secret kept encrypted with the field keys, and a lockout after repeated failures."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, UTCDateTime


class Role(enum.StrEnum):
    ADMIN = "admin"
    CREDIT_OFFICER = "credit_officer"
    AUDITOR = "auditor"
    SUPPORT = "support"


OPERATIONS_ROLES = frozenset({Role.ADMIN, Role.CREDIT_OFFICER})
"""The roles that may move money: propose it, or approve another's proposal (four eyes).
Auditors and support read; they never move money (segregation of duties)."""


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'credit_officer', 'auditor', 'support')", name="role_known"
        ),
        CheckConstraint("failed_sign_ins >= 0", name="failed_sign_ins_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 hex of the bearer token; the token itself is never stored."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_hash: Mapped[str | None] = mapped_column(String(200))
    """``scrypt$n$r$p$salt$hash`` of the console password; None: no console sign-in."""
    totp_secret_enc: Mapped[str | None] = mapped_column(String(500))
    """The TOTP secret (base32), encrypted with the field keys; None: not enrolled."""
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    """The 30-second step of the last code accepted: a code is never accepted twice."""
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
