"""Every route x every kind of caller, generated from the app's own routes, so a new route
cannot escape: staff routes answer 401 without a token, 403 to the wrong role and let the
right roles through; borrower routes take only a borrower's access token; the few public
routes are named here and nowhere else.

Segregation of duties: the routes that write ledger entries for staff are those whose role
dependency says ``moves_money`` (named in ``MONEY_ROUTES``, checked against the app), and
they admit operations roles only. Any other staff route cannot post at all (the ledger gate,
shown with probe routes below), so a new route that writes without declaring it fails
instead of letting an auditor's or support token move money; and no auditor or support call
of any route changes the number of ledger entries."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.api.deps import get_clock, get_sessions
from app.clock import Clock
from app.console.auth import COOKIE, PREFIX
from app.console.sessions import Lifetimes, Started, start
from app.db.engine import Database
from app.db.session import Sessions
from app.mobile.tokens import start_session
from app.staff.auth import require_roles
from app.staff.models import OPERATIONS_ROLES, Role, StaffUser
from integrations.airtel.config import CALLBACK_KINDS as AIRTEL_CALLBACK_KINDS
from integrations.airtel.config import CALLBACK_PATH_PREFIX as AIRTEL_PATH_PREFIX
from integrations.mpesa.client import CALLBACK_KINDS, CALLBACK_PATH_PREFIX
from ledger import EntryRequest, Ledger, PostingLine
from ledger.schema import JournalEntry
from tests.support.api import app_for, bearer, staff_token
from tests.support.books import Chart, open_chart
from tests.support.clock import FrozenClock
from tests.support.lending import KES, Fund
from tests.support.routes import audience, routes

PUBLIC = {
    *{("POST", f"{CALLBACK_PATH_PREFIX}/{{token}}/{kind}") for kind in CALLBACK_KINDS},
    *{("POST", f"{AIRTEL_PATH_PREFIX}/{{token}}/{kind}") for kind in AIRTEL_CALLBACK_KINDS},
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/ussd/africastalking"),
    ("POST", "/ussd/africastalking/events"),
    ("POST", "/api/v1/registration/start"),
    ("POST", "/api/v1/registration/verify"),
    ("POST", "/api/v1/registration/complete"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/console/sign-in"),
    ("POST", "/console/sign-in"),
    ("GET", "/console/static/{name}"),
}
"""Routes anyone may call (each provider's callback path carries its own secret token)."""
MONEY_ROUTES = {
    ("POST", "/admin/v1/journals"),  # a dry run of the entry, rolled back
    ("POST", "/admin/v1/approvals/{approval_id}/approve"),
    ("POST", "/admin/v1/sme/applications/{application_id}/approve"),  # below the threshold
    ("POST", "/admin/v1/reversals/{reversal_id}/approve"),
    ("POST", "/audit/v1/reconciliation-resolutions/{resolution_id}/approve"),
    ("POST", "/console/approvals/{approval_id}/approve"),
    ("POST", "/console/fund-proposals/journal"),  # the same dry run, through the console
}
"""The staff routes that write ledger entries (each applies what another person asked for,
or tries an entry out)."""
READ_ONLY_ROLES = {Role.AUDITOR.value, Role.SUPPORT.value}

fresh: dict[str, Callable[[], dict[str, str]]] = {}
console: dict[str, Callable[[], Started]] = {}
"""A new console session (cookie and CSRF token) of each role for every call (signing out ends
the one it used): console routes take no bearer token; a caller without a session
(anonymous, a borrower) is sent to the sign-in page (303)."""


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

    def console_session(username: str) -> Started:
        with fund.sessions.unit_of_work() as session:
            user = session.scalar(select(StaffUser).where(StaffUser.username == username))
            assert user is not None
            return start(session, user, clock(), Lifetimes(timedelta(hours=1), timedelta(hours=1)))

    for role in Role:
        console[role.value] = partial(console_session, f"m-{role.value}")
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
        if audience(route).roles is None and not audience(route).borrower
    }
    assert unguarded == PUBLIC


def call(client: TestClient, method: str, path: str, headers: dict[str, str], caller: str) -> int:
    concrete = re.sub(r"\{[^}]+\}", "1", path)
    if path.startswith(PREFIX + "/"):
        return console_call(client, method, concrete, caller)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, concrete, headers=headers, json=body).status_code


def console_call(client: TestClient, method: str, path: str, caller: str) -> int:
    """As the caller's console session, a POST with its CSRF token (and a note or reason)."""
    started = console[caller]() if caller in console else None
    headers = {"Cookie": f"{COOKIE}={started.token}"} if started else {}
    form = {"csrf_token": started.csrf_token if started else "", "note": "m", "reason": "m"}
    data = form if method == "POST" else None
    return client.request(
        method, path, headers=headers, data=data, follow_redirects=False
    ).status_code


def test_every_guarded_route_admits_exactly_its_audience(
    callers: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = callers
    wrong: list[str] = []
    checked = 0
    for method, path, route in routes(client.app):  # type: ignore[arg-type]
        who = audience(route)
        if who.roles is None and not who.borrower:
            continue
        for caller, fixed_headers in headers.items():
            status = call(
                client, method, path, fresh[caller]() if caller in fresh else fixed_headers, caller
            )
            checked += 1
            if path.startswith(PREFIX + "/") and caller in ("anonymous", "borrower"):
                expected = {303}  # no console session: to the sign-in page
            elif caller == "anonymous":
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


def test_the_routes_that_move_money_admit_operations_only(
    callers: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, _ = callers
    declared = {
        (method, path): audience(route).roles
        for method, path, route in routes(client.app)  # type: ignore[arg-type]
        if audience(route).moves_money
    }
    assert set(declared) == MONEY_ROUTES
    assert {key: roles for key, roles in declared.items() if not roles <= OPERATIONS_ROLES} == {}


def ledger_entries(client: TestClient) -> int:
    sessions = client.app.state.runtime.sessions  # type: ignore[attr-defined]
    with sessions.reader() as session:
        return int(session.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def test_no_auditor_or_support_token_moves_money_on_any_route(
    callers: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = callers
    moved: list[str] = []
    calls = 0
    for method, path, route in routes(client.app):  # type: ignore[arg-type]
        who = audience(route)
        for reader in sorted(READ_ONLY_ROLES):
            before = ledger_entries(client)
            status = call(client, method, path, headers[reader], reader)
            calls += 1
            if ledger_entries(client) != before:
                moved.append(f"{method} {path} as {reader}: {status}")
            if who.moves_money and status != 403:
                moved.append(f"{method} {path} as {reader}: {status}, expected 403")
    assert moved == []
    assert calls > 150


def test_a_staff_route_that_does_not_declare_it_cannot_post(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """Probe routes added to the real app, posting one entry each: the undeclared one is
    refused for every role; the declared one for all but operations roles (and it cannot
    even be declared for an auditor or support)."""
    sessions = Sessions(database)
    with sessions.unit_of_work() as session:
        chart = open_chart(Ledger(session, clock))
    app = app_for(database, clock, tmp_path / "seal.pem")
    for path, roles, moves_money in [
        ("/probe/undeclared", list(Role), False),
        ("/probe/declared", sorted(OPERATIONS_ROLES), True),
    ]:
        app.add_api_route(
            path,
            posting_route(chart, require_roles(*roles, moves_money=moves_money)),
            methods=["POST"],
        )
    for readers in ([Role.AUDITOR], [Role.SUPPORT], list(Role)):
        with pytest.raises(ValueError, match="cannot admit"):
            require_roles(*readers, moves_money=True)
    answers = {}
    with TestClient(app) as client:
        for role in Role:
            token = bearer(staff_token(sessions, clock, f"probe-{role.value}", role))
            for path in ("/probe/undeclared", "/probe/declared"):
                answer = client.post(path, headers=token)
                answers[role.value, path] = (answer.status_code, answer.json()["type"][18:])
    ops = {r.value for r in OPERATIONS_ROLES}
    assert answers == {
        **{(r.value, "/probe/undeclared"): (403, "ledger_writes_refused") for r in Role},
        **{
            (r.value, "/probe/declared"): (200, "posted") if r in ops else (403, "forbidden")
            for r in Role
        },
    }
    with sessions.reader() as session:
        assert Ledger(session, clock).balance(chart.float.id).posted_minor == 2 * 100


def posting_route(chart: Chart, staff: Callable[..., Any]) -> Callable[..., dict[str, str]]:
    # Dependencies as default values: this module's annotations are strings, and FastAPI
    # could not resolve one naming ``staff``, a local of this function.
    def handler(
        sessions: Sessions = Depends(get_sessions),  # noqa: B008
        clock: Clock = Depends(get_clock),  # noqa: B008
        user: StaffUser = Depends(staff),  # noqa: B008
    ) -> dict[str, str]:
        with sessions.unit_of_work() as session:
            Ledger(session, clock).post(
                EntryRequest(
                    f"probe:{user.username}",
                    [
                        PostingLine.debit(chart.float.id, 100),
                        PostingLine.credit(chart.capital.id, 100),
                    ],
                )
            )
        return {"type": "urn:mkopo:problem:posted"}

    return handler
