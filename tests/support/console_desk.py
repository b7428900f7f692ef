"""The console on a fund for action tests: one borrower, an admin and a credit officer, each
with a console account, and signing one of them in (a fresh session, its CSRF token)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from app.staff.models import Role
from tests.support.api import fund_app
from tests.support.console import ConsoleUser, csrf_of, make_console_user, sign_in
from tests.support.lending import Fund


@dataclass(frozen=True)
class Desk:
    client: TestClient
    borrower_id: int
    admin: ConsoleUser
    officer: ConsoleUser


def console_user(fund: Fund, tmp_path: Path, username: str, role: Role) -> ConsoleUser:
    return make_console_user(
        fund.sessions, fund.clock(), tmp_path / "field-keys.json", username, role
    )


@contextmanager
def open_desk(fund: Fund, tmp_path: Path, borrower_id: int | None = None) -> Iterator[Desk]:
    borrower_id = fund.register() if borrower_id is None else borrower_id
    admin = console_user(fund, tmp_path, "ada", Role.ADMIN)
    officer = console_user(fund, tmp_path, "otto", Role.CREDIT_OFFICER)
    with TestClient(fund_app(fund, tmp_path, console_cookie_secure=False)) as client:
        yield Desk(client, borrower_id, admin, officer)


def signed_in(client: TestClient, user: ConsoleUser, fund: Fund) -> str:
    """Sign ``user`` in (a new step for a new TOTP code); their session's CSRF token."""
    client.cookies.clear()
    fund.clock.advance(seconds=30)
    assert sign_in(client, user.username, user.password, user.code(fund.clock())).status_code == 303
    return csrf_of(client.get("/console/borrowers").text)


def alert_of(html: str) -> list[str]:
    return re.findall(r"role=\"alert\">([^<]+)", html)


def request_number(html: str) -> int:
    found = re.search(r"request #(\d+)", html)
    assert found is not None, alert_of(html)
    return int(found.group(1))
