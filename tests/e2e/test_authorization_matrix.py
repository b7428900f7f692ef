"""Every route x every kind of caller, generated from the app's own routes, so a new route
cannot escape: staff routes answer 401 without a token, 403 to the wrong role and let the
right roles through; borrower routes take only a borrower's access token; the few public
routes are named here and nowhere else."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.mobile.tokens import start_session
from app.staff.models import Role
from integrations.mpesa.client import CALLBACK_KINDS, CALLBACK_PATH_PREFIX
from tests.support.api import app_for, bearer, staff_token
from tests.support.lending import KES, Fund
from tests.support.routes import Audience, audience, routes

PUBLIC = {
    *{("POST", f"{CALLBACK_PATH_PREFIX}/{{token}}/{kind}") for kind in CALLBACK_KINDS},
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/ussd/africastalking"),
    ("POST", "/ussd/africastalking/events"),
    ("POST", "/api/v1/registration/start"),
    ("POST", "/api/v1/registration/verify"),
    ("POST", "/api/v1/registration/complete"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
}
"""Routes anyone may call (the callback path carries its own secret token)."""

fresh: dict[str, Callable[[], dict[str, str]]] = {}


@pytest.fixture(scope="module")
def callers(
    tmp_path_factory: pytest.TempPathFactory, sqlite_factory: Any
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    from app.db.engine import make_database
    from app.db.session import Sessions
    from app.settings import Settings
    from tests.support.clock import FrozenClock
    from tests.support.lending import open_fund

    name, url = sqlite_factory.create()
    database = make_database(Settings(database_url=url))
    clock = FrozenClock()
    tmp = tmp_path_factory.mktemp("matrix")
    fund: Fund = open_fund(Sessions(database), clock, tmp)
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    headers = {
        role.value: bearer(staff_token(fund.sessions, clock, f"m-{role.value}", role))
        for role in Role
    }
    headers["anonymous"] = {}
    headers["borrower"] = {}  # a fresh session for every call: logout ends the one it used

    def borrower_token() -> dict[str, str]:
        with fund.sessions.unit_of_work() as session:
            return bearer(start_session(session, borrower_id, clock()).access_token)

    fresh["borrower"] = borrower_token
    app = app_for(database, clock, tmp / "seal.pem", field_keys_path=tmp / "field-keys.json")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, headers
    database.dispose()
    sqlite_factory.drop(name)


def test_every_route_is_public_by_name_or_guarded(
    callers: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, _ = callers
    unguarded = {
        (method, path)
        for method, path, route in routes(client.app)  # type: ignore[arg-type]
        if audience(route) == Audience(None, False)
    }
    assert unguarded == PUBLIC


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    concrete = re.sub(r"\{[^}]+\}", "1", path)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, concrete, headers=headers, json=body).status_code


def test_every_guarded_route_admits_exactly_its_audience(
    callers: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = callers
    wrong: list[str] = []
    checked = 0
    for method, path, route in routes(client.app):  # type: ignore[arg-type]
        who = audience(route)
        if who == Audience(None, False):
            continue
        for caller, fixed_headers in headers.items():
            status = call(
                client, method, path, fresh[caller]() if caller in fresh else fixed_headers
            )
            checked += 1
            if caller == "anonymous":
                expected = {401}
            elif caller == "borrower":
                expected = None if who.borrower else {401}
            elif who.roles is None:  # a staff token on a borrower route
                expected = {401}
            else:
                expected = None if caller in who.roles else {403}
            if status >= 500:
                wrong.append(f"{method} {path} as {caller}: {status}")
            elif expected is None and status in (401, 403):
                wrong.append(f"{method} {path} as {caller}: refused ({status})")
            elif expected is not None and status not in expected:
                wrong.append(f"{method} {path} as {caller}: {status}, expected {expected}")
    assert wrong == []
    assert checked > 100
