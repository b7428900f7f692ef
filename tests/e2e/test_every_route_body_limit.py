"""Every route that takes a body, walked from the app's own routes: a body over the limit is
a 413 problem whether or not it declares its length (a chunked body is counted as it
streams), and the OpenAPI schema says so. A JSON route used to answer a chunked 3 MB body
with 400 "error parsing the body", and no operation documented 413."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import params
from fastapi.testclient import TestClient

from app.db.session import Sessions
from tests.support.api import app_for
from tests.support.clock import FrozenClock
from tests.support.lending import open_fund
from tests.support.routes import BODY_METHODS, Callers, concrete, routes

CHUNK = b"[" + b"0," * 32_767 + b"0]"  # 64 KiB of valid-looking JSON, again and again


def chunked(total_bytes: int) -> Iterator[bytes]:
    """A body with no Content-Length: the client sends it chunked."""
    sent = 0
    while sent < total_bytes:
        yield CHUNK
        sent += len(CHUNK)


@pytest.fixture
def walk(sqlite_database: Any, tmp_path: Path) -> Iterator[tuple[TestClient, Callers]]:
    clock = FrozenClock()
    fund = open_fund(Sessions(sqlite_database), clock, tmp_path)
    app = app_for(
        sqlite_database,
        clock,
        tmp_path / "seal.pem",
        field_keys_path=tmp_path / "field-keys.json",
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, Callers(fund)


def _content_type(route: Any) -> str:
    """What the route parses: a form route ignores a JSON body without reading it."""
    forms = [p for p in route.dependant.body_params if isinstance(p.field_info, params.Form)]
    return "multipart/form-data; boundary=x" if forms else "application/json"


def test_every_route_with_a_body_refuses_an_oversized_chunked_body(
    walk: tuple[TestClient, Callers], record_property: Any
) -> None:
    client, callers = walk
    wrong: list[str] = []
    walked = 0
    refused: set[tuple[str, str]] = set()
    settings = client.app.state.runtime.settings  # type: ignore[attr-defined]
    token = settings.mpesa_callback_token.get_secret_value()
    for method, path, route in routes(client.app):  # type: ignore[arg-type]
        if method not in BODY_METHODS:
            continue
        walked += 1
        answer = client.request(
            method,
            concrete(path, token=token),
            content=chunked(settings.max_body_bytes + 1),
            headers={**callers.for_route(route), "Content-Type": _content_type(route)},
        )
        problem = answer.headers.get("content-type") == "application/problem+json"
        declared = bool(route.dependant.body_params)
        if answer.status_code == 413 and problem:
            refused.add((method, path))
        elif declared or answer.status_code in (400, 422) or answer.status_code >= 500:
            # a route that reads no body may answer as it would without one, never as if
            # the body it was cut off from were malformed
            wrong.append(f"{method} {path}: {answer.status_code} {answer.text[:80]}")
    record_property("routes_walked", walked)
    record_property("routes_answering_413", len(refused))
    assert wrong == []
    assert walked >= 40
    assert ("POST", "/callbacks/mpesa/{token}/stk") in refused  # reads its body itself


def test_a_chunked_3_mb_body_to_a_json_admin_route_is_413(
    walk: tuple[TestClient, Callers],
) -> None:
    client, callers = walk
    path = "/admin/v1/products/{code}/changes"
    route = next(r for m, p, r in routes(client.app) if (m, p) == ("POST", path))  # type: ignore[arg-type]
    answer = client.post(
        concrete(path),
        content=chunked(3 * 1024 * 1024),
        headers={**callers.for_route(route), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["type"] == "urn:mkopo:problem:payload_too_large"


def test_every_operation_with_a_body_documents_413(walk: tuple[TestClient, Callers]) -> None:
    client, _ = walk
    schema = client.get("/openapi.json").json()
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method.upper() in BODY_METHODS and "413" not in operation["responses"]
    ]
    assert undocumented == []
    body = schema["paths"]["/admin/v1/products/{code}/changes"]["post"]["responses"]["413"]
    assert body["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
