"""Starting, finding and ending console sessions (``app.console.models``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.console.models import ConsoleSession
from app.staff.models import StaffUser
from app.staff.service import token_digest


@dataclass(frozen=True, slots=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True, slots=True)
class Started:
    token: str
    """For the cookie; only its SHA-256 is stored."""
    csrf_token: str


def start(session: Session, user: StaffUser, now: datetime, lifetimes: Lifetimes) -> Started:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_sha256=token_digest(token),
            staff_user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetimes.absolute,
        )
    )
    session.flush()
    return Started(token, csrf)


def resume(
    session: Session, token: str, now: datetime, lifetimes: Lifetimes
) -> tuple[ConsoleSession, StaffUser] | None:
    """The live session of ``token`` and its user, marked seen now; None (and the row
    deleted) when it is past its idle timeout or lifetime, or its user is disabled."""
    found = session.execute(
        select(ConsoleSession, StaffUser)
        .join(StaffUser, StaffUser.id == ConsoleSession.staff_user_id)
        .where(ConsoleSession.token_sha256 == token_digest(token))
    ).one_or_none()
    if found is None:
        return None
    row, user = found
    if (
        now >= row.expires_at
        or now >= row.last_seen_at + lifetimes.idle
        or user.disabled_at is not None
    ):
        session.delete(row)
        session.flush()
        return None
    row.last_seen_at = max(now, row.last_seen_at)
    session.flush()
    return row, user


def end(session: Session, token: str) -> None:
    session.execute(
        delete(ConsoleSession).where(ConsoleSession.token_sha256 == token_digest(token))
    )
