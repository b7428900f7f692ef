"""Reconciliation over HTTP: upload a statement or pick a period, follow the run, read its
results and exceptions, resolve one under four eyes (operations staff: auditors never move
money, tests/e2e/test_reconciliation_duties.py), download the report."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db.session import Sessions
from app.reconciliation.runs import execute_run
from app.staff.models import Role
from tests.integration.test_reconciliation_day import Day, script_day, scripted_fund
from tests.support.api import RecordingTaskQueue, app_for, bearer, staff_token

RUNS = "/audit/v1/reconciliations"
EXCEPTIONS = "/audit/v1/reconciliation-exceptions"


@pytest.fixture
def day(sessions: Sessions, tmp_path: Path) -> Day:
    return script_day(scripted_fund(sessions, tmp_path))


@pytest.fixture
def tasks() -> RecordingTaskQueue:
    return RecordingTaskQueue()


@pytest.fixture
def client(day: Day, tasks: RecordingTaskQueue, tmp_path: Path) -> Iterator[TestClient]:
    app = app_for(
        day.fund.sessions.database,
        day.fund.clock,
        tmp_path / "seal.pem",
        tasks,
        field_keys_path=tmp_path / "field-keys.json",  # the fund's keys
    )
    with TestClient(app) as c:
        yield c


def who(day: Day) -> dict[str, dict[str, str]]:
    fund = day.fund
    return {
        name: bearer(staff_token(fund.sessions, fund.clock, name, role))
        for name, role in [
            ("auditor1", Role.AUDITOR),
            ("admin1", Role.ADMIN),
            ("officer", Role.CREDIT_OFFICER),
        ]
    }


def upload(client: TestClient, data: bytes, headers: dict[str, str]) -> object:
    return client.post(
        RUNS, files={"statement": ("ORG_600000_All.csv", data, "text/csv")}, headers=headers
    )


def work_off(day: Day, tasks: RecordingTaskQueue) -> None:
    """What the worker would do with the tasks the API handed over."""
    for task, args in tasks.sent:
        assert task == "reconciliation.execute_run"
        execute_run(day.fund.sessions, day.fund.clock, int(args[0]), day.fund.ports.cipher)
    tasks.sent.clear()


def test_an_auditor_uploads_and_follows_operations_resolve_the_auditor_downloads(
    client: TestClient, day: Day, tasks: RecordingTaskQueue
) -> None:
    staff = who(day)
    started = client.post(
        RUNS,
        files={"statement": ("ORG_600000_All.csv", day.statement_csv(), "text/csv")},
        data={"amount_tolerance_minor": "0", "time_window_s": "1800"},
        headers=staff["auditor1"],
    )
    assert started.status_code == 202, started.text
    run = started.json()
    assert (run["status"], run["statement"]["lines_read"]) == ("queued", 15)
    assert tasks.sent == [("reconciliation.execute_run", (run["id"],))]
    work_off(day, tasks)
    done = client.get(f"{RUNS}/{run['id']}", headers=staff["admin1"]).json()
    assert (done["status"], done["lines_done"], done["lines_total"]) == ("done", 15, 15)
    assert done["summary"]["float_check"]["unexplained_minor"] == 0
    again = upload(client, day.statement_csv(), staff["auditor1"])
    assert (again.status_code, again.json()["id"]) == (200, run["id"])  # type: ignore[attr-defined]
    work_off(day, tasks)

    missing = client.get(
        f"{RUNS}/{run['id']}/results",
        params={"outcome": "missing_in_ledger"},
        headers=staff["auditor1"],
    ).json()
    assert {"RC2B000002", "RREV000001"} < {r["receipt"] for r in missing}
    assert len(missing) == 3
    found = client.get(f"{RUNS}/{run['id']}/exceptions", headers=staff["auditor1"]).json()
    assert len(found) == 10
    lost = next(x for x in found if x["receipt"] == "RC2B000002")
    assert lost["allowed_actions"][0] == "post_callback"
    looked = client.post(
        f"{EXCEPTIONS}/{lost['id']}/investigate",
        json={"note": "No confirmation in the inbox"},
        headers=staff["auditor1"],
    )
    assert looked.json()["state"] == "investigating"
    body = {"action": "post_callback", "note": "Confirmation lost; the statement shows it"}
    key = {"Idempotency-Key": "propose-lost-1"}
    proposed = client.post(
        f"{EXCEPTIONS}/{lost['id']}/resolutions", json=body, headers=staff["officer"] | key
    )
    assert proposed.status_code == 201, proposed.text
    replay = client.post(
        f"{EXCEPTIONS}/{lost['id']}/resolutions", json=body, headers=staff["officer"] | key
    )
    assert replay.json()["id"] == proposed.json()["id"]
    resolution = proposed.json()["id"]
    own = client.post(
        f"/audit/v1/reconciliation-resolutions/{resolution}/approve", headers=staff["officer"]
    )
    assert (own.status_code, own.json()["type"]) == (403, "urn:mkopo:problem:four_eyes")
    approved = client.post(
        f"/audit/v1/reconciliation-resolutions/{resolution}/approve", headers=staff["admin1"]
    )
    assert approved.json()["status"] == "approved", approved.text
    detail = client.get(f"{EXCEPTIONS}/{lost['id']}", headers=staff["auditor1"]).json()
    assert detail["state"] == "resolved"
    assert [r["decided_by"] for r in detail["resolutions"]] == ["admin1"]

    report = client.get(f"{RUNS}/{run['id']}/report.json", headers=staff["auditor1"])
    assert report.headers["content-type"].startswith("application/json")
    document = json.loads(report.content)
    assert document["summary"]["outcomes"]["charge"]["count"] == 2
    assert len(document["exceptions"]) == 10
    table = client.get(f"{RUNS}/{run['id']}/report.csv", headers=staff["auditor1"])
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert {r["outcome"] for r in rows if r["record"] == "total"} >= {"matched", "charge"}
    assert sum(r["record"] == "exception" for r in rows) == 10
    assert {r["state"] for r in rows if r["receipt"] == "RC2B000002"} == {"resolved"}
    day.fund.assert_books_agree()


def test_a_period_of_imported_statements_can_be_reconciled_again(
    client: TestClient, day: Day, tasks: RecordingTaskQueue
) -> None:
    staff = who(day)
    period = {"period_from": "2026-03-02", "period_to": "2026-03-02"}
    uncovered = client.post(RUNS, data=period, headers=staff["auditor1"])
    assert uncovered.status_code == 409
    upload(client, day.statement_csv(), staff["auditor1"])
    first = client.post(RUNS, data=period, headers=staff["auditor1"])
    assert first.status_code == 202
    same = client.post(RUNS, data=period, headers=staff["auditor1"])
    assert (same.status_code, same.json()["id"]) == (200, first.json()["id"])
    fresh = client.post(RUNS, data=period | {"again": "true"}, headers=staff["auditor1"])
    assert fresh.status_code == 202
    assert fresh.json()["id"] != first.json()["id"]
    work_off(day, tasks)
    listed = client.get(RUNS, params={"status": "done"}, headers=staff["auditor1"]).json()
    assert len(listed) == 3


def test_broken_files_roles_and_bad_requests_are_clear_4xx(client: TestClient, day: Day) -> None:
    staff = who(day)
    broken = day.statement_csv().replace(b"-15.00", b"-15.0O", 1)
    refused = upload(client, broken, staff["auditor1"])
    assert refused.status_code == 422  # type: ignore[attr-defined]
    problem = refused.json()  # type: ignore[attr-defined]
    assert problem["type"] == "urn:mkopo:problem:statement_rejected"
    assert problem["detail"].startswith("line ")
    assert client.get(RUNS, headers=staff["auditor1"]).json() == []
    files = {"statement": ("ORG_600000_All.csv", day.statement_csv(), "text/csv")}
    for provider, detail in [("airtel", "line "), ("mtn", None)]:  # M-Pesa's file as Airtel's
        wrong = client.post(
            RUNS, files=files, data={"provider": provider}, headers=staff["auditor1"]
        )
        assert wrong.status_code == 422, provider
        assert detail is None or wrong.json()["detail"].startswith(detail)
    assert client.get(RUNS, headers=staff["auditor1"]).json() == []
    assert upload(client, day.statement_csv(), {}).status_code == 401  # type: ignore[attr-defined]
    officer = upload(client, day.statement_csv(), staff["officer"])
    assert officer.status_code == 403  # type: ignore[attr-defined]
    for data in ({}, {"period_from": "2026-03-02"}, {"period_from": "x", "period_to": "y"}):
        answer = client.post(RUNS, data=data, headers=staff["auditor1"])
        assert answer.status_code == 422, data
        assert answer.headers["content-type"].startswith("application/problem+json")
    backwards = {"period_from": "2026-03-03", "period_to": "2026-03-02"}
    assert client.post(RUNS, data=backwards, headers=staff["auditor1"]).status_code == 422
    assert client.get(f"{RUNS}/999", headers=staff["auditor1"]).status_code == 404
    assert client.get(f"{EXCEPTIONS}/999", headers=staff["auditor1"]).status_code == 404
    bad = {"action": "give_it_away", "note": "nope"}
    assert (
        client.post(f"{EXCEPTIONS}/1/resolutions", json=bad, headers=staff["admin1"]).status_code
        == 422
    )
