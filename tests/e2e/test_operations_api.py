"""What an operator sees of the periodic tasks over HTTP: readiness turns 503 when no beat
has started or when a task is past its bound (naming it), and back when it runs again;
Prometheus gets each task's age, lateness, duration and failures; the admin operations view
lists the same for admins and auditors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db.session import Sessions
from app.settings import Settings
from app.staff.models import Role
from app.tasks import heartbeats
from app.tasks.schedule import periodic_tasks
from tests.support.api import app_for, bearer, staff_token
from tests.support.clock import FrozenClock

SCHEDULED = [t.task for t in periodic_tasks(Settings())]
FASTEST_BOUND_S = 3 * 5 + 60
"""process-callbacks and seal-ledger run every 5 s: overdue after 3 intervals + 60 s."""


@pytest.fixture
def client(sessions: Sessions, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    app = app_for(sessions.database, clock, tmp_path / "seal.pem")
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def beat_starts(sessions: Sessions, clock: FrozenClock) -> None:
    with sessions.unit_of_work() as session:
        heartbeats.watch(session, SCHEDULED, clock())


def runs(sessions: Sessions, clock: FrozenClock, task: str, error: str | None = None) -> None:
    with sessions.unit_of_work() as session:
        heartbeats.run_started(session, task, clock())
        heartbeats.run_finished(session, task, clock(), 1500, error)


def test_before_any_beat_has_started_the_service_is_not_ready(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "urn:mkopo:problem:scheduler_not_started"
    assert problem["scheduler"] == {"status": "not_started", "overdue": []}
    assert problem["operations"] == "/admin/v1/operations"


def test_a_beat_that_stops_ticking_turns_readiness_off_within_the_bound_and_on_again(
    client: TestClient, sessions: Sessions, clock: FrozenClock
) -> None:
    beat_starts(sessions, clock)
    assert client.get("/readyz").json()["scheduler"] == {"status": "ok", "overdue": []}
    clock.advance(seconds=FASTEST_BOUND_S)
    assert client.get("/readyz").status_code == 200  # at the bound: still on time
    clock.advance(seconds=1)
    late = client.get("/readyz")
    assert late.status_code == 503
    assert late.json()["detail"] == "Periodic tasks are overdue: process-callbacks, seal-ledger"
    assert late.json()["scheduler"] == {
        "status": "stalled",
        "overdue": ["process-callbacks", "seal-ledger"],
    }
    for task in ("mpesa.process_callbacks", "accounting.seal_ledger"):
        runs(sessions, clock, task)
    assert client.get("/readyz").status_code == 200


def metric(body: str, name: str, task: str) -> float:
    found = re.search(rf'^{name}{{task="{re.escape(task)}"}} (\S+)$', body, re.MULTILINE)
    assert found is not None, f"{name} for {task} not in the exposition"
    return float(found.group(1))


def test_prometheus_exposes_each_task_s_age_lateness_duration_and_failures(
    client: TestClient, sessions: Sessions, clock: FrozenClock
) -> None:
    beat_starts(sessions, clock)
    runs(sessions, clock, "accounting.seal_ledger")
    runs(sessions, clock, "accounting.seal_ledger", "SigningKeyMissing")
    runs(sessions, clock, "accounting.seal_ledger", "SigningKeyMissing")
    clock.advance(seconds=90)
    body = client.get("/metrics").text
    seal = "accounting.seal_ledger"
    assert metric(body, "mkopo_periodic_task_last_run_age_seconds", seal) == 90
    assert metric(body, "mkopo_periodic_task_overdue", seal) == 1
    assert metric(body, "mkopo_periodic_task_overdue", "reconciliation.float_check") == 0
    assert metric(body, "mkopo_periodic_task_last_duration_seconds", seal) == 1.5
    assert metric(body, "mkopo_periodic_task_runs_total", seal) == 3
    assert metric(body, "mkopo_periodic_task_failures_total", seal) == 2
    assert metric(body, "mkopo_periodic_task_consecutive_failures", seal) == 2


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR])
def test_the_operations_view_lists_every_task_s_runs_failures_and_lateness(
    client: TestClient, sessions: Sessions, clock: FrozenClock, role: Role
) -> None:
    beat_starts(sessions, clock)
    runs(sessions, clock, "scoring.rescore_due", "TimeoutError")
    clock.advance(seconds=300)
    answer = client.get(
        "/admin/v1/operations", headers=bearer(staff_token(sessions, clock, "ops", role))
    )
    assert answer.status_code == 200
    view = answer.json()
    assert view["scheduler"] == "stalled"
    assert [t["task"] for t in view["tasks"]] == SCHEDULED
    rescore = next(t for t in view["tasks"] if t["entry"] == "rescore-borrowers")
    assert rescore["schedule"] == "every 60 s"
    assert (rescore["runs_total"], rescore["failures_total"], rescore["failures_consecutive"]) == (
        1,
        1,
        1,
    )
    assert (rescore["last_outcome"], rescore["last_error"]) == ("failed", "TimeoutError")
    assert rescore["last_duration_ms"] == 1500
    assert rescore["overdue"] is True  # 300 s > 3 x 60 s + 60 s
    accrual = next(t for t in view["tasks"] if t["entry"] == "accrue-loans")
    assert (accrual["schedule"], accrual["overdue"]) == ("daily at 21:05 UTC", False)
    assert view["overdue"] == [t["entry"] for t in view["tasks"] if t["overdue"]]
