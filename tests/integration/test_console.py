"""The staff console over HTTP: sign-in (password, TOTP, lockout, one answer for every
failure), cookie sessions (flags, idle timeout, lifetime, sign-out), CSRF on every POST,
the headers on every page, role rules, the pages themselves and the loan book's CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.models import AuditRecord
from app.console.headers import CONTENT_SECURITY_POLICY
from app.console.models import ConsoleSession
from app.db.engine import Database
from app.db.session import Sessions
from app.reconciliation.exceptions.models import ReconException
from app.staff.credentials import REFUSED
from app.staff.models import Role, StaffUser
from app.staff.service import create_staff_user
from tests.support.api import app_for
from tests.support.clock import FrozenClock
from tests.support.console import ConsoleUser, csrf_of, make_console_user, sign_in

pytestmark = pytest.mark.slow  # each test signs in: a slow hash (scrypt) by design


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "field-keys.json"


@pytest.fixture
def admin(database: Database, clock: FrozenClock, keys: Path) -> ConsoleUser:
    return make_console_user(Sessions(database), clock(), keys, "ada", Role.ADMIN)


@pytest.fixture
def client(
    database: Database, clock: FrozenClock, tmp_path: Path, keys: Path, admin: ConsoleUser
) -> Iterator[TestClient]:
    app = app_for(
        database,
        clock,
        tmp_path / "seal.pem",
        field_keys_path=keys,
        console_cookie_secure=False,
        console_lockout_s=600,
    )
    with TestClient(app) as test_client:
        yield test_client


def signed_in(client: TestClient, user: ConsoleUser, clock: FrozenClock) -> str:
    """Sign in; the CSRF token of the session."""
    answer = sign_in(client, user.username, user.password, user.code(clock()))
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/console/borrowers").text)


def test_sign_in_with_password_and_code_sets_a_strict_cookie(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock
) -> None:
    answer = sign_in(client, admin.username, admin.password, admin.code(clock()))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/"
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("mkopo_console=")
    )
    assert {"HttpOnly", "SameSite=strict", "Path=/console"} <= {
        part.strip() for part in cookie.split(";")
    }
    dashboard = client.get("/console/", follow_redirects=True)
    assert dashboard.status_code == 200
    assert "<svg" in dashboard.text
    assert "Loans by status" in dashboard.text


def test_every_failure_gets_the_same_answer(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock, database: Database
) -> None:
    with Sessions(database).unit_of_work() as session:
        create_staff_user(session, "token-only", Role.ADMIN, clock())  # no password, no factor
    good = admin.code(clock())
    wrong_code = f"{(int(good) + 1) % 1_000_000:06d}"
    for username, password, code in [
        ("nobody", admin.password, good),
        ("token-only", admin.password, good),
        (admin.username, "wrong password!", good),
        (admin.username, admin.password, wrong_code),
        (admin.username, admin.password, "abc"),
    ]:
        answer = sign_in(client, username, password, code)
        assert answer.status_code == 401
        assert REFUSED in answer.text
        assert "mkopo_console=" not in answer.headers.get("set-cookie", "")


def test_five_failures_lock_the_user_out_for_a_while(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock
) -> None:
    for _ in range(5):
        assert sign_in(client, admin.username, "wrong password!", "000000").status_code == 401
    locked = sign_in(client, admin.username, admin.password, admin.code(clock()))
    assert locked.status_code == 401
    assert REFUSED in locked.text
    clock.advance(seconds=601)
    assert sign_in(client, admin.username, admin.password, admin.code(clock())).status_code == 303


def test_a_code_is_accepted_once(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock
) -> None:
    code = admin.code(clock())
    assert sign_in(client, admin.username, admin.password, code).status_code == 303
    client.cookies.clear()
    assert sign_in(client, admin.username, admin.password, code).status_code == 401


def test_pages_carry_the_strict_headers(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock
) -> None:
    signed_in(client, admin, clock)
    for path in ("/console/sign-in", "/console/dashboard", "/console/static/console.js"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
    assert "content-security-policy" not in client.get("/healthz").headers


def test_a_post_without_the_csrf_token_is_refused(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock
) -> None:
    csrf = signed_in(client, admin, clock)
    empty = client.post("/console/sign-out", data={})
    assert empty.status_code == 403, empty.text
    assert client.post("/console/sign-out", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/console/dashboard").status_code == 200
    out = client.post("/console/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303


def test_sign_out_deletes_the_session(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock, database: Database
) -> None:
    csrf = signed_in(client, admin, clock)
    cookie = client.cookies["mkopo_console"]
    client.post("/console/sign-out", data={"csrf_token": csrf})
    with Sessions(database).reader() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleSession)) == 0
    client.cookies.set("mkopo_console", cookie, path="/console")
    answer = client.get("/console/dashboard", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in"


def test_a_session_ends_after_its_idle_timeout_and_its_lifetime(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock
) -> None:
    signed_in(client, admin, clock)
    clock.advance(minutes=14)
    assert client.get("/console/dashboard").status_code == 200
    clock.advance(minutes=16)
    assert client.get("/console/dashboard", follow_redirects=False).status_code == 303
    clock.advance(minutes=1)
    signed_in(client, admin, clock)
    for _ in range(40):  # active every 14 minutes, yet 8 hours is the end
        clock.advance(minutes=14)
        if client.get("/console/dashboard", follow_redirects=False).status_code == 303:
            break
    else:
        pytest.fail("the session outlived its lifetime")


def test_roles_are_those_of_the_admin_api(
    client: TestClient, database: Database, clock: FrozenClock, keys: Path
) -> None:
    support = make_console_user(Sessions(database), clock(), keys, "sam", Role.SUPPORT)
    signed_in(client, support, clock)
    assert client.get("/console/dashboard").status_code == 403
    assert client.get("/console/approvals").status_code == 403
    assert client.get("/console/borrowers").status_code == 200
    home = client.get("/console/", follow_redirects=False)
    assert home.headers["location"] == "/console/borrowers"


def test_the_loan_book_filters_and_exports_csv(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock
) -> None:
    signed_in(client, admin, clock)
    assert client.get("/console/loans?status=active").status_code == 200
    refused = client.get("/console/loans?status=sleeping&overdue_days=x")
    assert refused.status_code == 422
    assert "Unknown status" in refused.text
    answer = client.get("/console/loans.csv?status=")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:3] == ["loan_id", "account_number", "borrower_id"]


def test_the_console_can_be_switched_off(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    app = app_for(database, clock, tmp_path / "seal.pem", console_enabled=False)
    with TestClient(app) as test_client:
        assert test_client.get("/console/sign-in").status_code == 404
        assert test_client.get("/healthz").status_code == 200


def test_an_admin_sets_passwords_and_enrolls_factors_audited(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock, database: Database, keys: Path
) -> None:
    sessions = Sessions(database)
    auditor = make_console_user(sessions, clock(), keys, "aud", Role.AUDITOR)
    officer = make_console_user(sessions, clock(), keys, "otto", Role.CREDIT_OFFICER)
    with sessions.reader() as session:
        otto_id = session.scalar(select(StaffUser.id).where(StaffUser.username == "otto"))
    csrf = signed_in(client, admin, clock)
    page = f"/console/staff/{otto_id}"
    differ = client.post(
        f"{page}/password",
        data={"csrf_token": csrf, "password": "a new long password", "repeated": "other"},
    )
    assert differ.status_code == 422
    short = client.post(
        f"{page}/password", data={"csrf_token": csrf, "password": "short", "repeated": "short"}
    )
    assert short.status_code == 422
    assert "12 to 200 characters" in short.text
    new_password = "a new long password"
    done = client.post(
        f"{page}/password",
        data={"csrf_token": csrf, "password": new_password, "repeated": new_password},
    )
    assert "Password set for otto" in done.text
    enrolled = client.post(f"{page}/totp", data={"csrf_token": csrf})
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', enrolled.text)
    assert secret is not None
    client.cookies.clear()
    clock.advance(seconds=30)
    old = sign_in(client, "otto", new_password, officer.code(clock()))
    assert old.status_code == 401  # the old factor stopped working
    assert client.get("/console/staff", follow_redirects=False).status_code == 303
    new_code = pyotp.TOTP(secret.group(1)).at(clock())
    assert sign_in(client, "otto", new_password, new_code).status_code == 303
    assert client.get("/console/staff").status_code == 403  # a credit officer
    client.cookies.clear()
    csrf = signed_in(client, auditor, clock)
    assert client.get("/console/staff").status_code == 200
    assert client.post(f"{page}/totp", data={"csrf_token": csrf}).status_code == 403
    with sessions.reader() as session:
        actions = list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))
    assert actions.count("staff.password_set") == 1
    assert actions.count("staff.totp_enrolled") == 1
    assert actions.count("console.sign_in") == 3


def test_the_sign_in_form_needs_its_own_csrf_value(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock
) -> None:
    form = {"username": admin.username, "password": admin.password, "code": admin.code(clock())}
    forged = client.post("/console/sign-in", data={**form, "csrf_token": "made-up"})
    assert forged.status_code == 403
    assert "mkopo_console=" not in forged.headers.get("set-cookie", "")


def test_cookies_are_secure_by_default(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    app = app_for(database, clock, tmp_path / "seal.pem")
    with TestClient(app) as test_client:
        cookie = test_client.get("/console/sign-in").headers["set-cookie"]
    assert "Secure" in {part.strip() for part in cookie.split(";")}


def test_the_trial_balance_and_the_audit_log_pages(
    client: TestClient, admin: ConsoleUser, clock: FrozenClock, database: Database, keys: Path
) -> None:
    signed_in(client, admin, clock)
    ledger = client.get("/console/ledger")
    assert ledger.status_code == 200
    assert "balanced" in ledger.text
    assert client.get("/console/ledger?as_of=2026-13-01").status_code == 422
    future = client.get("/console/ledger?as_of=2030-01-01")
    assert future.status_code == 400
    assert "must be between" in future.text
    exported = client.get("/console/ledger?as_of=2026-03-01&format=csv")
    assert exported.headers["content-type"].startswith("text/csv")
    audit = client.get("/console/audit?action=console.sign_in")
    assert audit.status_code == 200
    assert "console.sign_in" in audit.text
    verified = client.get("/console/audit/verify")
    assert "The chain holds" in verified.text
    with Sessions(database).reader() as session:
        actions = set(session.scalars(select(AuditRecord.action)))
    assert {"audit_log.query", "audit_log.verify"} <= actions
    officer = make_console_user(Sessions(database), clock(), keys, "otto", Role.CREDIT_OFFICER)
    client.cookies.clear()
    signed_in(client, officer, clock)
    assert client.get("/console/audit").status_code == 403
    assert client.get("/console/ledger").status_code == 200


def test_the_reconciliation_page_shows_the_exceptions_queue(
    client: TestClient, clock: FrozenClock, database: Database, keys: Path
) -> None:
    sessions = Sessions(database)
    with sessions.unit_of_work() as session:
        for key, state, closed in (("q-open", "open", None), ("q-done", "resolved", clock())):
            session.add(
                ReconException(
                    natural_key=key,
                    kind="float_difference",
                    state=state,
                    difference_minor=-1_234,
                    detail=f"the float is short ({key})",
                    opened_at=clock(),
                    updated_at=clock(),
                    closed_at=closed,
                )
            )
    auditor = make_console_user(sessions, clock(), keys, "aud", Role.AUDITOR)
    signed_in(client, auditor, clock)
    page = client.get("/console/reconciliation")
    assert page.status_code == 200
    assert "the float is short (q-open)" in page.text
    assert "q-done" not in page.text  # closed: out of the queue
    assert "-KES 12.34" in page.text
    assert "No runs yet." in page.text
    support = make_console_user(sessions, clock(), keys, "sam", Role.SUPPORT)
    client.cookies.clear()
    signed_in(client, support, clock)
    assert client.get("/console/reconciliation").status_code == 403
