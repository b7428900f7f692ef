"""Creating staff users and resolving their bearer tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.staff.models import Role, StaffUser

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_PREFIX = "mks_"


class InvalidUsername(ValueError):
    pass


class UsernameTaken(ValueError):
    pass


def valid_username(username: str) -> bool:
    return _USERNAME.match(username) is not None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_staff_user(
    session: Session, username: str, role: Role, now: datetime
) -> tuple[StaffUser, str]:
    """Create a user and return it with its bearer token (shown once, stored hashed)."""
    if not valid_username(username):
        raise InvalidUsername("username: 2-64 of a-z 0-9 . _ -, starting with a letter or digit")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise UsernameTaken(f"user {username!r} exists")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = StaffUser(
        username=username, role=role.value, token_sha256=token_digest(token), created_at=now
    )
    session.add(user)
    session.flush()
    return user, token


def staff_by_token(session: Session, token: str) -> StaffUser | None:
    return session.scalar(
        select(StaffUser).where(
            StaffUser.token_sha256 == token_digest(token), StaffUser.disabled_at.is_(None)
        )
    )
