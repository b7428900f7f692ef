"""Sign-in sessions of the app: opaque bearer tokens, rotation, reuse detection, revocation.

A session is one token family. Signing in creates it with an access token (15 minutes) and a
refresh token (30 days, and never past 90 days from signing in). Refreshing rotates both: the
old refresh token is spent, and if it is ever presented again — a stolen copy, or a client
bug — the whole session is revoked (``RefreshTokenReused``). A refresh token carries its
session's random public id (``mkr_<id>.<secret>``), so a replayed old token still finds its
family although only the current token's hash is stored.

Invariants: tokens are 256-bit random and stored only as SHA-256; an access token works
only while its session is neither revoked nor past ``access_expires_at``; a borrower has at
most ``MAX_SESSIONS_PER_BORROWER`` live sessions (signing in on one more device ends the
oldest), and dead sessions are deleted when the borrower next signs in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.db.session import Sessions
from app.errors import DomainError
from app.mobile import errors
from app.mobile.models import AppSession, RevokedBecause

ACCESS_TOKEN_TTL = timedelta(minutes=15)
REFRESH_TOKEN_TTL = timedelta(days=30)
SESSION_MAX_AGE = timedelta(days=90)
MAX_SESSIONS_PER_BORROWER = 5
ACCESS_PREFIX = "mka_"
REFRESH_PREFIX = "mkr_"
_SECRET_BYTES = 32
_PUBLIC_ID_BYTES = 16
_ACCESS_TOKEN = re.compile(r"mka_[A-Za-z0-9_-]{43}")
_REFRESH_TOKEN = re.compile(r"mkr_([0-9a-f]{32})\.[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    borrower_id: int
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


@dataclass(frozen=True, slots=True)
class SessionOwner:
    """Who an access token speaks for, and through which session."""

    borrower_id: int
    session_id: int


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _access_token() -> str:
    return ACCESS_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def _refresh_token(public_id: str) -> str:
    return f"{REFRESH_PREFIX}{public_id}.{secrets.token_urlsafe(_SECRET_BYTES)}"


def start_session(session: Session, borrower_id: int, now: datetime) -> IssuedTokens:
    """Sign a borrower in on one more device (flushes; the caller commits)."""
    _tidy(session, borrower_id, now)
    public_id = secrets.token_hex(_PUBLIC_ID_BYTES)
    access, refresh = _access_token(), _refresh_token(public_id)
    refresh_expires_at = now + REFRESH_TOKEN_TTL
    access_expires_at = now + ACCESS_TOKEN_TTL
    session.add(
        AppSession(
            public_id=public_id,
            borrower_id=borrower_id,
            access_token_sha256=token_sha256(access),
            access_expires_at=access_expires_at,
            refresh_token_sha256=token_sha256(refresh),
            refresh_expires_at=refresh_expires_at,
            rotations=0,
            created_at=now,
        )
    )
    session.flush()
    return IssuedTokens(borrower_id, access, access_expires_at, refresh, refresh_expires_at)


def _tidy(session: Session, borrower_id: int, now: datetime) -> None:
    """Delete the borrower's dead sessions; end the oldest live ones beyond the cap."""
    session.execute(
        delete(AppSession).where(
            AppSession.borrower_id == borrower_id,
            or_(AppSession.revoked_at.is_not(None), AppSession.refresh_expires_at <= now),
        )
    )
    beyond_cap = (
        select(AppSession.id)
        .where(AppSession.borrower_id == borrower_id)
        .order_by(AppSession.created_at.desc(), AppSession.id.desc())
        .offset(MAX_SESSIONS_PER_BORROWER - 1)
    )
    _revoke(
        session,
        AppSession.id.in_(list(session.scalars(beyond_cap))),
        now,
        RevokedBecause.SESSION_CAP,
    )


def owner_of_access_token(session: Session, token: str, now: datetime) -> SessionOwner | None:
    if not _ACCESS_TOKEN.fullmatch(token):
        return None
    row = session.execute(
        select(AppSession.borrower_id, AppSession.id).where(
            AppSession.access_token_sha256 == token_sha256(token),
            AppSession.access_expires_at > now,
            AppSession.revoked_at.is_(None),
        )
    ).one_or_none()
    return None if row is None else SessionOwner(row.borrower_id, row.id)


def refresh_session(sessions: Sessions, clock: Clock, refresh_token: str) -> IssuedTokens:
    """Rotate a session's tokens — its own use case, because a reused token must revoke the
    session (committed) although the request fails."""
    match = _REFRESH_TOKEN.fullmatch(refresh_token)
    if match is None:
        raise errors.InvalidRefreshToken("The refresh token is not valid: sign in again")
    error: DomainError | None = None
    issued: IssuedTokens | None = None
    with sessions.unit_of_work() as session:
        now = clock()
        # Locked: two refreshes with one token are served one after the other, and the
        # second is a reuse (clients must not refresh concurrently).
        row = session.scalar(
            select(AppSession).where(AppSession.public_id == match.group(1)).with_for_update()
        )
        if row is None or row.revoked_at is not None or row.refresh_expires_at <= now:
            error = errors.InvalidRefreshToken("The refresh token is not valid: sign in again")
        elif not hmac.compare_digest(row.refresh_token_sha256, token_sha256(refresh_token)):
            _revoke(session, AppSession.id == row.id, now, RevokedBecause.REFRESH_REUSED)
            error = errors.RefreshTokenReused(
                "This refresh token was already used: the session is ended, sign in again"
            )
        else:
            issued = _rotate(row, refresh_token, now)
    if error is not None:
        raise error
    assert issued is not None
    return issued


def _rotate(row: AppSession, refresh_token: str, now: datetime) -> IssuedTokens:
    access, refresh = _access_token(), _refresh_token(row.public_id)
    row.refresh_expires_at = min(now + REFRESH_TOKEN_TTL, row.created_at + SESSION_MAX_AGE)
    row.access_expires_at = min(now + ACCESS_TOKEN_TTL, row.refresh_expires_at)
    row.access_token_sha256 = token_sha256(access)
    row.refresh_token_sha256 = token_sha256(refresh)
    row.rotations += 1
    row.refreshed_at = now
    return IssuedTokens(
        row.borrower_id, access, row.access_expires_at, refresh, row.refresh_expires_at
    )


def end_session(session: Session, session_id: int, now: datetime) -> None:
    """Sign out: the session's access and refresh tokens stop working at once."""
    _revoke(session, AppSession.id == session_id, now, RevokedBecause.LOGOUT)


def end_other_sessions(
    session: Session, borrower_id: int, keep_session_id: int, now: datetime
) -> None:
    """After a PIN change: every other device must sign in with the new PIN."""
    _revoke(
        session,
        (AppSession.borrower_id == borrower_id) & (AppSession.id != keep_session_id),
        now,
        RevokedBecause.PIN_CHANGED,
    )


def _revoke(session: Session, which: ColumnElement[bool], now: datetime, reason: str) -> None:
    session.execute(
        update(AppSession)
        .where(which, AppSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
