"""Every refusal in Daraja's envelope (``requestId``, ``errorCode``, ``errorMessage``): an
unknown path, a wrong method, a body sent without ``Content-Type: application/json``, and the
OAuth refusal's own words."""

from __future__ import annotations

import base64
import json

import pytest

from integrations.mpesa.simulator.faults import API_FAMILIES
from tests.unit.test_mpesa_simulator_harness import (
    B2C,
    INITIATOR,
    KEY,
    SHORTCODE,
    STK,
    Harness,
)

POST_PATHS = sorted(path for path, family in API_FAMILIES.items() if family != "oauth")
FIRST_FIELD = {
    "b2c": "InitiatorName",
    "balance": "Initiator",
    "c2b": "ShortCode",
    "reversal": "Initiator",
    "status": "Initiator",
    "stk": "BusinessShortCode",
    "stk_query": "BusinessShortCode",
}


def envelope(body: dict[str, str]) -> tuple[str, str]:
    assert set(body) == {"requestId", "errorCode", "errorMessage"}
    return body["errorCode"], body["errorMessage"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/mpesa/b2c/v2/paymentrequest"),
        ("POST", "/mpesa/stkpush/v2/processrequest"),
        ("GET", "/"),
        ("POST", "/oauth/v2/generate"),
        ("GET", "/__sim__/nothing"),
    ],
)
def test_an_unknown_path_gets_404_001_01(sim: Harness, method: str, path: str) -> None:
    answer = sim.http.request(method, path, headers=sim.headers(), json={})
    assert answer.status_code == 404
    assert envelope(answer.json()) == ("404.001.01", "Resource not found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", path) for path in POST_PATHS]
    + [("PUT", B2C), ("DELETE", STK), ("POST", "/oauth/v1/generate")],
)
def test_a_wrong_method_gets_405_001(sim: Harness, method: str, path: str) -> None:
    answer = sim.http.request(method, path, headers=sim.headers())
    assert answer.status_code == 405
    assert envelope(answer.json()) == ("405.001", f"{method} Method Not Allowed")
    assert "allow" in answer.headers


@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_without_the_json_content_type_is_refused_for_the_first_field(
    sim: Harness, path: str, content_type: str | None
) -> None:
    """Daraja does not read such a body (OFF3 FAQ: "Bad Request - Invalid BusinessShortCode",
    "... Invalid InitiatorName"), even when the bytes are JSON whose first field is right."""
    headers = sim.headers()
    if content_type is not None:
        headers["Content-Type"] = content_type
    first_fields_right = {"ShortCode": SHORTCODE, "Initiator": INITIATOR}
    body = json.dumps(sim.stk_body() | sim.b2c_body() | first_fields_right).encode()
    answer = sim.http.post(path, content=body, headers=headers)
    assert answer.status_code == 400
    field = FIRST_FIELD[API_FAMILIES[path]]
    assert envelope(answer.json()) == ("400.002.02", f"Bad Request - Invalid {field}")
    assert sim.state.transactions == {}


def test_the_json_content_type_may_carry_a_charset(sim: Harness) -> None:
    headers = sim.headers() | {"Content-Type": "Application/JSON; charset=utf-8"}
    answer = sim.http.post(STK, content=json.dumps(sim.stk_body()).encode(), headers=headers)
    assert answer.json()["ResponseCode"] == "0"


def test_the_token_is_checked_before_the_content_type(sim: Harness) -> None:
    answer = sim.http.post(B2C, content=b"x", headers={"Authorization": "Bearer nope"})
    assert envelope(answer.json())[0] == "401.002.01"


def test_a_json_body_that_is_not_an_object_is_an_invalid_payload(sim: Harness) -> None:
    headers = sim.headers() | {"Content-Type": "application/json"}
    for content in (b"[1, 2]", b"{not json", b""):
        answer = sim.http.post(STK, content=content, headers=headers)
        assert envelope(answer.json()) == ("400.002.05", "Invalid Request Payload")


def test_the_oauth_refusals_are_worded_as_daraja_words_them(sim: Harness) -> None:
    wrong = base64.b64encode(f"{KEY}:nope".encode()).decode()
    for headers in ({"Authorization": f"Basic {wrong}"}, {"Authorization": "Bearer x"}, {}):
        answer = sim.http.get(
            "/oauth/v1/generate", params={"grant_type": "client_credentials"}, headers=headers
        )
        assert answer.status_code == 400
        assert envelope(answer.json()) == ("400.008.01", "Invalid authentication type passed")
    right = base64.b64encode(f"{KEY}:sim-secret".encode()).decode()
    grant = sim.http.get("/oauth/v1/generate", headers={"Authorization": f"Basic {right}"})
    assert envelope(grant.json()) == ("400.008.02", "Invalid grant type passed")
