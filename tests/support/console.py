"""Console staff for tests: a user with a password and a TOTP factor, and signing in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from app.db.session import Sessions
from app.security.fields import generate_field_keys_file, load_field_crypto
from app.staff.credentials import enroll_totp, set_password
from app.staff.models import Role
from app.staff.service import create_staff_user

PASSWORD = "correct horse battery"
_HIDDEN = r'name="csrf_token" value="([^"]+)"'


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    username: str
    role: str
    password: str
    totp_secret: str
    token: str
    """Its API bearer token (for proposing through the admin API)."""

    def code(self, at: datetime) -> str:
        return pyotp.TOTP(self.totp_secret).at(at)


def make_console_user(
    sessions: Sessions, now: datetime, keys_path: Path, username: str, role: Role
) -> ConsoleUser:
    if not keys_path.exists():
        generate_field_keys_file(keys_path)
    cipher = load_field_crypto(keys_path).cipher
    with sessions.unit_of_work() as session:
        _user, token = create_staff_user(session, username, role, now)
        set_password(session, username, PASSWORD)
        secret = enroll_totp(session, cipher, username)
    return ConsoleUser(username, role.value, PASSWORD, secret, token)


def csrf_of(html: str) -> str:
    found = re.search(_HIDDEN, html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def sign_in(
    client: TestClient, username: str, password: str, code: str, prefix: str = "/console"
) -> Any:
    """Open the sign-in page, then send the form (its CSRF token with it)."""
    page = client.get(f"{prefix}/sign-in")
    form = {"username": username, "password": password, "code": code}
    return client.post(
        f"{prefix}/sign-in", data={**form, "csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
