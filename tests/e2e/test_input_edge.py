"""The edge's one sanitiser, over every route the app has (taken from the app itself, so a new
route cannot escape): a NUL or another control character, a lone surrogate, or JSON nested
past ``MAX_JSON_DEPTH`` — in a JSON body, as raw bytes, in a form field, in the query string
or the path — gets a 400 problem+json, never a 500 and never the route. On the 8 callback
paths M-Pesa still gets its answer and the body is stored as malformed with the reason (the
exceptions listing), so a payment cannot vanish."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.mpesa.inbox import AIRTEL_KINDS as AIRTEL
from app.mpesa.models import MpesaCallback
from app.security.input_text import MAX_JSON_DEPTH
from integrations.mpesa.client import CALLBACK_KINDS, CALLBACK_PATH_PREFIX
from tests.support.api import fund_app
from tests.support.lending import Fund

TOKEN = "t0k3n-for-tests"
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
POISONS: dict[str, tuple[bytes, dict[str, str], str]] = {
    "raw NUL byte": (b'{"TransID": "RK\x0001"}', JSON, ""),
    "escaped NUL": (b'{"OriginatorConversationID": "a\\u0000b"}', JSON, ""),
    "escaped NUL in CheckoutRequestID": (
        b'{"Body": {"stkCallback": {"CheckoutRequestID": "ws_CO_\\u0000"}}}',
        JSON,
        "",
    ),
    "escaped control": (b'{"phone": "07\\u001b"}', JSON, ""),
    "lone surrogate": (b'{"name": "\\ud800"}', JSON, ""),
    "NUL in a key": (b'{"a\\u0000": 1}', JSON, ""),
    "nested 990 deep": (b"[" * 990 + b"]" * 990, JSON, ""),
    "nested one past the cap": (
        b'{"a": ' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}",
        JSON,
        "",
    ),
    "raw NUL in plain text": (b"hello\x00", {"content-type": "text/plain"}, ""),
    "NUL in a form field": (b"sessionId=s1&serviceCode=%2A384%00%23&text=", FORM, ""),
    "NUL in the query string": (b"", {}, "?after_id=%00"),
    "control in a query name": (b"", {}, "?a%01=1"),
}
CODES = {"urn:mkopo:problem:invalid_text", "urn:mkopo:problem:json_too_deep"}


@pytest.fixture
def app(fund: Fund, tmp_path: Path) -> FastAPI:
    return fund_app(fund, tmp_path, mpesa_callback_token=TOKEN, airtel_callback_token=TOKEN)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path.replace("{token}", TOKEN))


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, included routers too (the docs' own routes as
    well: they read input like any other)."""
    return sorted(
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods
    )


def test_every_route_refuses_poisoned_input_with_a_400_and_callbacks_are_stored(
    app: FastAPI, client: TestClient, fund: Fund
) -> None:
    routes = every_route(app)
    assert len(routes) > 50
    callbacks = {f"{CALLBACK_PATH_PREFIX}/{{token}}/{kind}" for kind in CALLBACK_KINDS}
    callbacks |= {f"/callbacks/{kind}".replace("airtel/", "airtel/{token}/") for kind in AIRTEL}
    assert callbacks <= {path for _, path in routes}
    cases = 0
    for method, path in routes:
        for name, (body, headers, query) in POISONS.items():
            answer = client.request(method, concrete(path) + query, content=body, headers=headers)
            cases += 1
            where = f"{method} {path} with {name}"
            assert answer.status_code < 500, where
            if path in callbacks:
                assert answer.status_code == 200, where
                continue
            assert answer.status_code == 400, (where, answer.text)
            assert answer.headers["content-type"] == "application/problem+json", where
            assert answer.json()["type"] in CODES, where
    assert cases == len(routes) * len(POISONS)
    with fund.sessions.reader() as session:
        stored = list(session.scalars(select(MpesaCallback)))
    kinds = (*CALLBACK_KINDS, *AIRTEL)
    assert {(r.kind, r.status) for r in stored} == {(kind, "malformed") for kind in kinds}
    assert all(r.error and "\x00" not in r.body for r in stored)


@pytest.mark.parametrize("kind", CALLBACK_KINDS)
def test_a_refused_callback_is_stored_malformed_with_its_reason_and_acknowledged(
    client: TestClient, fund: Fund, kind: str
) -> None:
    body = b'{"TransID": "RK\\u000001", "MSISDN": "254712345678"}'
    answer = client.post(f"{CALLBACK_PATH_PREFIX}/{TOKEN}/{kind}", content=body, headers=JSON)
    assert answer.status_code == 200
    if kind == "c2b/validation":
        assert answer.json()["ResultCode"] == "C2B00016"  # refused: the payer keeps the money
    with fund.sessions.reader() as session:
        [row] = session.scalars(select(MpesaCallback))
    assert (row.status, row.natural_key.startswith("malformed:")) == ("malformed", True)
    assert "U+0000" in (row.error or "")
    assert "254712345678" not in row.body


def test_under_a_deployment_s_own_callback_prefix_a_refused_callback_is_still_stored(
    fund: Fund, tmp_path: Path
) -> None:
    """The prefix is a setting: the edge must hand refused callbacks to the route wherever
    the deployment put them, not only under SPEC's default."""
    app = fund_app(
        fund, tmp_path, mpesa_callback_token=TOKEN, mpesa_callback_path_prefix="/hooks/mm"
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post(
            f"/hooks/mm/{TOKEN}/c2b/confirmation", content=b'{"TransID": "R\\u0000"}', headers=JSON
        )
    assert answer.status_code == 200
    with fund.sessions.reader() as session:
        [row] = session.scalars(select(MpesaCallback))
    assert row.status == "malformed"


def test_ussd_hops_and_events_with_a_nul_are_a_400_not_the_apology_screen(
    client: TestClient,
) -> None:
    hop = "sessionId=s1&serviceCode=%2A384%2A1%00%23&phoneNumber=%2B254712345678&text="
    event = (
        "sessionId=s1&serviceCode=%2A384%23&phoneNumber=%2B254712345678&status=Failed"
        "&errorMessage=oops%00&networkCode=63902"
    )
    for path, form in (("/ussd/africastalking", hop), ("/ussd/africastalking/events", event)):
        answer = client.post(path, content=form, headers=FORM)
        assert (answer.status_code, answer.json()["type"]) == (
            400,
            "urn:mkopo:problem:invalid_text",
        )


def test_json_as_deep_as_the_cap_is_let_through(client: TestClient) -> None:
    body = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    answer = client.post("/api/v1/auth/login", content=body, headers=JSON)
    assert answer.status_code == 422  # the route's own answer: not a login request
