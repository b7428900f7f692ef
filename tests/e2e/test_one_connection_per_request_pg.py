"""No request holds two database connections, and an exhausted pool is answered at once, on
every route: walked from the app's own operations (valid generated requests, a caller each
route admits), on PostgreSQL, so a new route is covered without touching this file.

- With a pool of ONE connection and no overflow, every route still works: a request that
  took a second connection while holding its first would wait for itself and be refused
  (503) when the pool's timeout ran out. Reports and the audit log's GETs (the staff read
  plus a snapshot or an audit write) and every signed-in write (the token's read plus the
  unit of work) once did exactly that.
- With every connection held by someone else, every route answers within the pool's short
  timeout: 503 problem+json with ``Retry-After`` where it needs the database (never 500,
  never SQLAlchemy's 30 s), or its ordinary answer where it does not.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given

from app.db.engine import Database
from app.db.session import Sessions
from app.settings import Settings
from app.tasks import heartbeats
from app.tasks.schedule import periodic_tasks
from tests.support.api import app_for
from tests.support.clock import FrozenClock
from tests.support.lending import KES, open_fund
from tests.support.routes import Callers, concrete, repeatable, routes

pytestmark = pytest.mark.postgres

EXAMPLES_PER_OPERATION = 3
POOL_TIMEOUT_S = 0.25
ANSWER_MARGIN_S = 1.5


def pooled_app(database: Database, tmp_path: Path, pool_size: int) -> tuple[FastAPI, Callers]:
    clock = FrozenClock()
    fund = open_fund(Sessions(database), clock, tmp_path)
    callers = Callers(fund)
    fund.borrow(callers.borrower_id, 500 * KES)  # something for the borrower's routes to show
    with fund.sessions.unit_of_work() as session:  # a beat is running: /readyz may be ready
        scheduled = [task.task for task in periodic_tasks(Settings())]
        heartbeats.watch(session, scheduled, clock())
    app = app_for(
        database,
        clock,
        tmp_path / "seal.pem",
        field_keys_path=tmp_path / "field-keys.json",
        database_pool_size=pool_size,
        database_max_overflow=0,
        database_pool_timeout_s=POOL_TIMEOUT_S,
    )
    return app, callers


@pytest.fixture
def one_connection(pg_database: Database, tmp_path: Path) -> Iterator[tuple[FastAPI, Callers]]:
    app, callers = pooled_app(pg_database, tmp_path, pool_size=1)
    with TestClient(app):  # runs the lifespan
        yield app, callers


def test_every_route_works_with_a_pool_of_one_connection(
    one_connection: tuple[FastAPI, Callers], record_property: Any
) -> None:
    app, callers = one_connection
    by_operation = {(method, path): route for method, path, route in routes(app)}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    answered: list[tuple[str, int]] = []
    for operation in operations:
        _exercise(operation, callers, by_operation, answered)()
    record_property("operations", len(operations))
    record_property("requests", len(answered))
    record_property("statuses", dict(Counter(status for _, status in answered)))
    assert [(call, status) for call, status in answered if status >= 500] == []
    assert len(operations) > 80
    assert len(answered) >= 2 * len(operations)


def _exercise(
    operation: Any,
    callers: Callers,
    by_operation: dict[tuple[str, str], Any],
    answered: list[tuple[str, int]],
) -> Any:
    route = by_operation[(operation.method.upper(), operation.path)]

    @repeatable(EXAMPLES_PER_OPERATION)
    @given(case=operation.as_strategy())
    def exercise(case: schemathesis.Case) -> None:
        answer = case.call(headers=callers.for_route(route))
        answered.append((f"{case.method} {case.formatted_path}", answer.status_code))

    return exercise


def test_with_the_pool_exhausted_every_route_answers_within_the_timeout(
    pg_database: Database, tmp_path: Path, record_property: Any
) -> None:
    app, callers = pooled_app(pg_database, tmp_path, pool_size=2)
    slow: list[str] = []
    wrong: list[str] = []
    busy = 0
    longest_s = 0.0
    with TestClient(app, raise_server_exceptions=False) as client:
        engine = app.state.runtime.sessions.database.write_engine
        held = [engine.connect() for _ in range(2)]
        try:
            for method, path, route in routes(app):
                headers = callers.for_route(route)  # tokens come from the test's own pool
                began = time.monotonic()
                answer = client.request(
                    method, concrete(path), headers=headers, json={} if method != "GET" else None
                )
                longest_s = max(longest_s, time.monotonic() - began)
                if time.monotonic() - began > POOL_TIMEOUT_S + ANSWER_MARGIN_S:
                    slow.append(f"{method} {path}")
                problem = answer.headers.get("content-type") == "application/problem+json"
                if answer.status_code == 503 and problem:
                    assert answer.json()["type"] == "urn:mkopo:problem:database_busy"
                    busy += 1
                    if answer.headers.get("retry-after") is None:
                        wrong.append(f"{method} {path}: 503 without Retry-After")
                elif answer.status_code >= 500 and path != "/readyz":
                    wrong.append(f"{method} {path}: {answer.status_code}")
        finally:
            for connection in held:
                connection.close()
        assert client.get("/api/v1/loans/current", headers=callers.borrower()).status_code == 200
    record_property("routes_walked", len(routes(app)))
    record_property("answered_503_busy", busy)
    record_property("longest_answer_s", round(longest_s, 3))
    assert wrong == []
    assert slow == []
    assert busy >= 40  # every signed-in route needs the database to know its caller
