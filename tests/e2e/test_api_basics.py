"""The HTTP service: health, readiness, metrics, problem+json, staff auth, read-only ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.accounting.keys import write_new_key
from app.db.engine import Database
from app.db.migrations_state import head_revision
from app.db.session import Sessions
from app.settings import Settings
from app.staff.models import Role
from app.tasks.heartbeats import watch
from app.tasks.schedule import periodic_tasks
from ledger import Ledger
from tests.support.api import app_for, bearer, staff_token
from tests.support.books import Chart
from tests.support.clock import FrozenClock
from tests.support.ledger_ops import funded_chart
from tests.support.tamper import tamper


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    path = tmp_path / "seal.pem"
    write_new_key(path)
    return path


@pytest.fixture
def client(database: Database, clock: FrozenClock, key_path: Path) -> Iterator[TestClient]:
    with TestClient(app_for(database, clock, key_path), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def chart(sessions: Sessions, clock: FrozenClock) -> Chart:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 1_000_000)
    return chart


@pytest.fixture
def auditor(sessions: Sessions, clock: FrozenClock) -> dict[str, str]:
    return bearer(staff_token(sessions, clock, "auditor1", Role.AUDITOR))


def test_liveness_and_readiness_answer_ok_on_a_migrated_database_with_beat_started(
    client: TestClient, sessions: Sessions, clock: FrozenClock
) -> None:
    with sessions.unit_of_work() as session:
        watch(session, [t.task for t in periodic_tasks(Settings())], clock())
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["migration"] == head_revision()


def test_every_response_carries_a_request_id_and_echoes_a_given_one(client: TestClient) -> None:
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/healthz")
    body = client.get("/metrics").text
    assert 'mkopo_http_requests_total{method="GET",route="/healthz",status="200"}' in body


def test_openapi_lists_the_ledger_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/audit/v1/ledger/trial-balance" in paths
    assert "/audit/v1/ledger/accounts/{account_id}/statement" in paths


def test_ledger_routes_need_a_staff_token_with_an_auditing_role(
    client: TestClient, sessions: Sessions, clock: FrozenClock
) -> None:
    anonymous = client.get("/audit/v1/ledger/trial-balance")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.json()["type"] == "urn:mkopo:problem:unauthorized"
    assert (
        client.get("/audit/v1/ledger/trial-balance", headers=bearer("mks_forged")).status_code
        == 401
    )
    support = bearer(staff_token(sessions, clock, "helpdesk", Role.SUPPORT))
    assert client.get("/audit/v1/ledger/trial-balance", headers=support).status_code == 403
    admin = bearer(staff_token(sessions, clock, "boss", Role.ADMIN))
    assert client.get("/audit/v1/ledger/trial-balance", headers=admin).status_code == 200


def test_an_auditor_reads_accounts_balances_statements_and_the_trial_balance(
    client: TestClient, chart: Chart, auditor: dict[str, str]
) -> None:
    account = client.get(f"/audit/v1/ledger/accounts/{chart.float.id}", headers=auditor).json()
    assert (account["code"], account["balance"]["posted_minor"]) == ("1010", 1_000_000)
    balance = client.get(
        f"/audit/v1/ledger/accounts/{chart.float.id}/balance",
        params={"as_of": "2020-01-01T00:00:00Z"},
        headers=auditor,
    ).json()
    assert balance["posted_minor"] == 0
    statement = client.get(
        f"/audit/v1/ledger/accounts/{chart.float.id}/statement", headers=auditor
    ).json()
    assert [line["running_balance_minor"] for line in statement["lines"]] == [1_000_000]
    trial = client.get("/audit/v1/ledger/trial-balance", headers=auditor).json()
    assert trial["balanced"] is True
    assert trial["net_by_currency"] == {"KES": 0}
    entries = client.get(
        "/audit/v1/ledger/entries", params={"reference": "capital"}, headers=auditor
    ).json()
    assert [e["idempotency_key"] for e in entries] == ["capital-in"]
    one = client.get(f"/audit/v1/ledger/entries/{entries[0]['id']}", headers=auditor).json()
    assert sorted(p["amount_minor"] for p in one["postings"]) == [1_000_000, 1_000_000]
    page = client.get("/audit/v1/ledger/accounts", params={"limit": 2}, headers=auditor).json()
    assert len(page["items"]) == 2
    assert page["next_after_id"] == page["items"][-1]["id"]


@pytest.mark.parametrize(
    ("path", "params", "status", "problem"),
    [
        ("/audit/v1/ledger/accounts/999999", {}, 404, "unknown_account"),
        ("/audit/v1/ledger/entries/999999", {}, 404, "unknown_entry"),
        ("/audit/v1/ledger/accounts/0", {}, 422, "invalid_request"),
        ("/audit/v1/ledger/accounts/abc", {}, 422, "invalid_request"),
        ("/audit/v1/ledger/accounts/1/statement", {"after": "not-a-cursor"}, 400, "invalid_cursor"),
        (
            "/audit/v1/ledger/accounts/1/balance",
            {"as_of": "2026-01-01T00:00:00"},
            400,
            "naive_datetime",
        ),
        ("/audit/v1/ledger/accounts/1/balance", {"as_of": "yesterday"}, 422, "invalid_request"),
        ("/audit/v1/ledger/accounts", {"limit": 100_000}, 422, "invalid_request"),
        ("/audit/v1/ledger/entries", {}, 400, "filter_required"),
        ("/audit/v1/ledger/entries", {"metadata_key": "receipt"}, 400, "filter_incomplete"),
    ],
)
def test_bad_input_gets_a_clear_problem_never_a_500(
    client: TestClient,
    chart: Chart,
    auditor: dict[str, str],
    path: str,
    params: dict[str, object],
    status: int,
    problem: str,
) -> None:
    response = client.get(path, params=params, headers=auditor)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:mkopo:problem:{problem}"


def test_an_oversized_body_is_refused_with_413(client: TestClient) -> None:
    response = client.post("/audit/v1/ledger/accounts", content=b"x" * 5000)
    assert response.status_code == 413
    assert response.json()["type"] == "urn:mkopo:problem:payload_too_large"


def test_verify_reports_a_clean_sealed_ledger(
    client: TestClient,
    chart: Chart,
    auditor: dict[str, str],
    sessions: Sessions,
    clock: FrozenClock,
    key_path: Path,
) -> None:
    from ledger.signing import load_private_key

    with sessions.unit_of_work() as session:
        Ledger(session, clock).seal_next_block(load_private_key(key_path.read_bytes()))
    report = client.get("/audit/v1/ledger/verify", headers=auditor).json()
    assert report["ok"] is True
    assert report["blocks_checked"] == 1
    assert report["unsealed_entries"] == 0
    assert (report["accounts_checked"], report["totals_mismatches"]) == (8, [])


def test_verify_names_the_accounts_whose_totals_were_moved_past_the_guard(
    client: TestClient, chart: Chart, auditor: dict[str, str], database: Database
) -> None:
    tamper(
        database,
        "UPDATE ledger_accounts SET debits_posted = debits_posted + 1000000 WHERE code = '1010'",
        "UPDATE ledger_accounts SET credits_posted = credits_posted + 1000000 WHERE code = '3000'",
    )
    report = client.get("/audit/v1/ledger/verify", headers=auditor).json()
    assert (report["ok"], report["first_break"], report["mismatched_accounts"]) == (False, None, 2)
    float_, capital = report["totals_mismatches"]
    assert (float_["code"], capital["code"]) == ("1010", "3000")
    assert float_["stored"]["debits_posted_minor"] == 2_000_000
    assert float_["from_postings"]["debits_posted_minor"] == 1_000_000
    assert capital["from_postings"]["credits_posted_minor"] == 1_000_000
