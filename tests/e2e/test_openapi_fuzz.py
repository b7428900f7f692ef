"""Schemathesis over the whole OpenAPI schema: generated requests (valid and not) never get a
5xx, and every answer matches the schema. Derandomised and bounded, so CI is repeatable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from app.settings import Settings
from app.staff.models import Role
from app.tasks.heartbeats import watch
from app.tasks.schedule import periodic_tasks
from tests.support.api import bearer, fund_app, staff_token
from tests.support.lending import KES, Fund
from tests.support.routes import repeatable

MAX_EXAMPLES = 15


@pytest.fixture
def fuzzed_app(fund: Fund, tmp_path: Path) -> Iterator[FastAPI]:
    borrower = fund.register()
    fund.borrow(borrower, 500 * KES)
    app = fund_app(fund, tmp_path)
    app.state.fuzz_staff = bearer(staff_token(fund.sessions, fund.clock, "fuzz", Role.ADMIN))
    with fund.sessions.unit_of_work() as session:  # a deployment's beat has started: ready
        watch(session, [t.task for t in periodic_tasks(Settings())], fund.clock())
    with TestClient(app):  # runs the lifespan
        yield app


def test_no_5xx_and_answers_match_the_schema(fuzzed_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    staff = dict(fuzzed_app.state.fuzz_staff)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10
    calls = 0
    for operation in operations:

        @repeatable(MAX_EXAMPLES)
        @given(case=operation.as_strategy())
        def exercise(case: schemathesis.Case) -> None:
            nonlocal calls
            calls += 1
            headers = staff if case.path.startswith(("/admin", "/audit")) else {}
            case.call_and_validate(
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
            )

        exercise()
    assert calls >= 2 * len(operations)  # every operation really was exercised
