"""Every route's path and query parameters against the values that broke them, walked from the
app's own routes so a new route is covered without touching this file.

- An integer id past PostgreSQL's bigint (2**63) was passed to the database and came back as
  500 "bigint out of range": every integer path or query parameter must declare a bound under
  2**63, and a route answers 2**63, 2**64, 0 and -1 in its path with 404 or 422, never 5xx.
- A date or date-time query parameter read a bare number as seconds since 1970
  (``?as_of=0.5``): every one refuses a number with 422 and still takes ISO 8601.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db.engine import Database
from app.db.session import Sessions
from tests.support.api import app_for
from tests.support.clock import FrozenClock
from tests.support.lending import open_fund
from tests.support.routes import (
    Callers,
    bound,
    concrete,
    error_locations,
    is_date,
    is_datetime,
    is_int,
    params,
    routes,
)

BIGINT_MAX = 2**63 - 1
OUT_OF_RANGE_IDS = (2**63, 2**64, 0, -1)
BARE_NUMBERS = ("0", "0.5", "1700000000", "-1", "20260302")
ISO_DATE = "2026-03-01"
ISO_DATETIME = "2026-03-01T07:00:00+03:00"


@pytest.fixture
def walk(database: Database, tmp_path: Path) -> Iterator[tuple[TestClient, Callers]]:
    clock = FrozenClock()
    fund = open_fund(Sessions(database), clock, tmp_path)
    callers = Callers(fund)
    app = app_for(
        database, clock, tmp_path / "seal.pem", field_keys_path=tmp_path / "field-keys.json"
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, callers


def _call(client: TestClient, callers: Callers, method: str, url: str, route: Any) -> Any:
    return client.request(
        method, url, headers=callers.for_route(route), json={} if method != "GET" else None
    )


def test_every_integer_parameter_declares_a_bound_under_bigint(
    walk: tuple[TestClient, Callers],
) -> None:
    client, _ = walk
    unbounded = [
        f"{method} {path} {where}:{field.alias}"
        for method, path, route in routes(client.app)  # type: ignore[arg-type]
        for where in ("path", "query")
        for field in params(route, where)
        if is_int(field)
        and ((bound(field, "le") or 2**63) > BIGINT_MAX or bound(field, "ge") is None)
    ]
    assert unbounded == []


def test_every_integer_path_parameter_refuses_ids_out_of_range(
    walk: tuple[TestClient, Callers], record_property: Any
) -> None:
    client, callers = walk
    wrong: list[str] = []
    walked = set()
    for method, path, route in routes(client.app):  # type: ignore[arg-type]
        for field in filter(is_int, params(route, "path")):
            walked.add((method, path))
            for value in OUT_OF_RANGE_IDS:
                url = concrete(path, **{field.alias: str(value)})
                answer = _call(client, callers, method, url, route)
                named = ["path", field.alias] in error_locations(answer)
                if answer.status_code == 404 or (answer.status_code == 422 and named):
                    continue
                wrong.append(f"{method} {url}: {answer.status_code} {answer.text[:120]}")
    assert wrong == []
    record_property("routes_walked", len(walked))
    record_property("requests", len(walked) * len(OUT_OF_RANGE_IDS))
    assert len(walked) >= 30  # the loans, repayments and withdrawals of the app among them
    assert ("GET", "/api/v1/loans/{loan_id}") in walked


def test_every_integer_query_parameter_refuses_2_63(
    walk: tuple[TestClient, Callers], record_property: Any
) -> None:
    client, callers = walk
    wrong: list[str] = []
    walked = 0
    for method, path, route in routes(client.app):  # type: ignore[arg-type]
        for field in filter(is_int, params(route, "query")):
            walked += 1
            answer = client.request(
                method,
                concrete(path),
                params={field.alias: str(2**63)},
                headers=callers.for_route(route),
            )
            if answer.status_code != 422 or ["query", field.alias] not in error_locations(answer):
                wrong.append(f"{method} {path}?{field.alias}=2**63: {answer.status_code}")
    record_property("parameters_walked", walked)
    assert wrong == []
    assert walked >= 30


def _date_params(client: TestClient) -> list[tuple[str, str, Any, Any]]:
    return [
        (method, path, route, field)
        for method, path, route in routes(client.app)  # type: ignore[arg-type]
        for field in params(route, "query")
        if is_date(field) or is_datetime(field)
    ]


def test_every_date_query_parameter_refuses_a_bare_number(
    walk: tuple[TestClient, Callers], record_property: Any
) -> None:
    client, callers = walk
    wrong: list[str] = []
    found = _date_params(client)
    for method, path, route, field in found:
        for number in BARE_NUMBERS:
            answer = client.request(
                method,
                concrete(path),
                params={field.alias: number},
                headers=callers.for_route(route),
            )
            if answer.status_code != 422 or ["query", field.alias] not in error_locations(answer):
                wrong.append(f"{method} {path}?{field.alias}={number}: {answer.status_code}")
    record_property("parameters_walked", len(found))
    record_property("routes_walked", len({(m, p) for m, p, _, _ in found}))
    assert wrong == []
    assert len(found) >= 12  # reports' as_of/from/to, the books' as_of/until, the audit log's


def test_every_date_query_parameter_takes_iso_8601(walk: tuple[TestClient, Callers]) -> None:
    client, callers = walk
    wrong: list[str] = []
    for method, path, route, field in _date_params(client):
        value = ISO_DATETIME if is_datetime(field) else ISO_DATE
        answer = client.request(
            method, concrete(path), params={field.alias: value}, headers=callers.for_route(route)
        )
        if answer.status_code >= 500 or ["query", field.alias] in error_locations(answer):
            wrong.append(f"{method} {path}?{field.alias}={value}: {answer.status_code}")
    assert wrong == []
