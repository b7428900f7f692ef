"""The Daraja simulator: Daraja's answers and callbacks, read back by our own parsers."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from integrations.mpesa.callbacks import parse_c2b, parse_stk_callback, parse_timeout
from integrations.mpesa.client import DarajaClient, DarajaConfig, StkState
from integrations.mpesa.credentials import daraja_timestamp, security_credential, stk_password
from integrations.mpesa.results import b2c_result, parse_result
from integrations.mpesa.simulator.app import create_simulator
from integrations.mpesa.simulator.keys import SimulatorKeys, generate_keys, load_or_create_keys
from integrations.mpesa.simulator.state import App, Organisation, SimulatorState
from integrations.payments.port import PayoutOrder, Submission

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
SHORTCODE, PASSKEY = "600992", "sim-passkey"
INITIATOR, INITIATOR_PASSWORD = "testapi", "Safaricom999!*!"
KEY, SECRET = "sim-key", "sim-secret"
RESULT_URL = "https://mkopo.test/callbacks/mpesa/tok/b2c/result"
STK_URL = "https://mkopo.test/callbacks/mpesa/tok/stk"


@pytest.fixture(scope="module")
def keys() -> SimulatorKeys:
    return generate_keys(NOW)


@pytest.fixture
def state(keys: SimulatorKeys) -> SimulatorState:
    org = Organisation(SHORTCODE, PASSKEY, INITIATOR, INITIATOR_PASSWORD)
    return SimulatorState(org, [App(KEY, SECRET)], keys=keys, clock=lambda: NOW)


@pytest.fixture
def delivered() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def client(
    state: SimulatorState, delivered: list[tuple[str, dict[str, Any]]]
) -> Iterator[TestClient]:
    app = create_simulator(state, lambda url, body: delivered.append((url, body)))
    with TestClient(app, base_url="https://sim.test") as test_client:
        yield test_client


def bearer(client: TestClient) -> dict[str, str]:
    basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    answer = client.get(
        "/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def b2c_body(keys: SimulatorKeys, **changes: str) -> dict[str, str]:
    body = {
        "OriginatorConversationID": "payout-1",
        "InitiatorName": INITIATOR,
        "SecurityCredential": security_credential(INITIATOR_PASSWORD, keys.cert_pem),
        "CommandID": "BusinessPayment",
        "Amount": "1500",
        "PartyA": SHORTCODE,
        "PartyB": "254712345600",
        "Remarks": "Loan disbursement",
        "QueueTimeOutURL": "https://mkopo.test/callbacks/mpesa/tok/b2c/timeout",
        "ResultURL": RESULT_URL,
    }
    return body | changes


def stk_body(phone: str = "254712345600", **changes: str) -> dict[str, str]:
    timestamp = daraja_timestamp(NOW)
    body = {
        "BusinessShortCode": SHORTCODE,
        "Password": stk_password(SHORTCODE, PASSKEY, timestamp),
        "Timestamp": timestamp,
        "TransactionType": "CustomerPayBillOnline",
        "Amount": "500",
        "PartyA": phone,
        "PartyB": SHORTCODE,
        "PhoneNumber": phone,
        "CallBackURL": STK_URL,
        "AccountReference": "LN12345",
        "TransactionDesc": "Repayment",
    }
    return body | changes


def test_oauth_gives_a_string_expiry_and_refuses_bad_credentials(client: TestClient) -> None:
    basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    good = client.get(
        "/oauth/v1/generate?grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}"},
    )
    assert good.status_code == 200
    assert good.json()["expires_in"] == "3599"
    wrong = base64.b64encode(f"{KEY}:nope".encode()).decode()
    refused = client.get(
        "/oauth/v1/generate?grant_type=client_credentials",
        headers={"Authorization": f"Basic {wrong}"},
    )
    assert refused.json()["errorCode"] == "400.008.01"
    grant = client.get("/oauth/v1/generate", headers={"Authorization": f"Basic {basic}"})
    assert grant.json()["errorCode"] == "400.008.02"


def test_b2c_with_a_bad_token_gets_the_invalid_token_envelope(
    client: TestClient, keys: SimulatorKeys
) -> None:
    answer = client.post(
        "/mpesa/b2c/v3/paymentrequest",
        json=b2c_body(keys),
        headers={"Authorization": "Bearer nope"},
    )
    assert answer.status_code == 401
    assert answer.json()["errorCode"] == "401.002.01"
    assert "Invalid Access Token" in answer.json()["errorMessage"]


def test_b2c_is_accepted_and_its_result_parses_to_a_success(
    client: TestClient,
    keys: SimulatorKeys,
    state: SimulatorState,
    delivered: list[tuple[str, dict[str, Any]]],
) -> None:
    before = state.org.utility_minor
    answer = client.post(
        "/mpesa/b2c/v3/paymentrequest", json=b2c_body(keys), headers=bearer(client)
    )
    assert answer.json()["ResponseCode"] == "0"
    assert re.fullmatch(r"AG_\d{8}_[0-9a-f]{20}", answer.json()["ConversationID"])
    [(url, body)] = delivered
    result = b2c_result(parse_result(body))
    assert url == RESULT_URL
    assert result.succeeded
    assert result.amount_minor == 150_000
    assert result.originator_id == "payout-1"
    assert result.receipt is not None
    assert re.fullmatch(r"[A-Z0-9]{10}", result.receipt)
    assert state.org.utility_minor == before - 150_000


def test_b2c_with_a_wrong_credential_fails_with_2001(
    client: TestClient, keys: SimulatorKeys, delivered: list[tuple[str, dict[str, Any]]]
) -> None:
    wrong = security_credential("not-the-password", keys.cert_pem)
    body = b2c_body(keys, SecurityCredential=wrong)
    answer = client.post("/mpesa/b2c/v3/paymentrequest", json=body, headers=bearer(client))
    assert answer.json()["ResponseCode"] == "0"
    result = b2c_result(parse_result(delivered[0][1]))
    assert result.result_code == "2001"
    assert result.receipt is None


def test_b2c_duplicate_originator_id_gets_the_500_002_1001_envelope(
    client: TestClient, keys: SimulatorKeys
) -> None:
    headers = bearer(client)
    client.post("/mpesa/b2c/v3/paymentrequest", json=b2c_body(keys), headers=headers)
    again = client.post("/mpesa/b2c/v3/paymentrequest", json=b2c_body(keys), headers=headers)
    assert again.status_code == 500
    assert again.json()["errorCode"] == "500.002.1001"
    assert again.json()["errorMessage"] == "Duplicate OriginatorConversationID"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"Amount": "0"}, "Amount"),
        ({"Amount": "10.5"}, "Amount"),
        ({"Amount": "-50"}, "Amount"),
        ({"Remarks": "x"}, "Remarks"),
    ],
)
def test_b2c_refuses_invalid_fields(
    client: TestClient, keys: SimulatorKeys, changes: dict[str, str], field: str
) -> None:
    body = b2c_body(keys, **changes)
    answer = client.post("/mpesa/b2c/v3/paymentrequest", json=body, headers=bearer(client))
    assert answer.json()["errorMessage"] == f"Bad Request - Invalid {field}"


def test_stk_push_with_a_wrong_password_is_refused(client: TestClient) -> None:
    body = stk_body(Password=base64.b64encode(b"wrong").decode())
    answer = client.post("/mpesa/stkpush/v1/processrequest", json=body, headers=bearer(client))
    assert answer.json()["errorCode"] == "500.001.1001"
    assert answer.json()["errorMessage"] == "Wrong credentials"


def test_stk_success_callback_parses_with_receipt_and_a_balance_without_value(
    client: TestClient, delivered: list[tuple[str, dict[str, Any]]]
) -> None:
    answer = client.post(
        "/mpesa/stkpush/v1/processrequest", json=stk_body(), headers=bearer(client)
    )
    checkout = answer.json()["CheckoutRequestID"]
    assert re.fullmatch(r"ws_CO_\d{14}\d{3}712345600", checkout)
    [(url, body)] = delivered
    items = body["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
    assert {"Name": "Balance"} in items
    result = parse_stk_callback(body)
    assert url == STK_URL
    assert result.succeeded
    assert result.checkout_id == checkout
    assert result.amount_minor == 50_000
    assert result.receipt is not None
    assert result.phone == "254712345600"


def test_stk_query_is_pending_then_gives_a_string_result_code(
    client: TestClient, state: SimulatorState, delivered: list[tuple[str, dict[str, Any]]]
) -> None:
    headers = bearer(client)
    client.post("/__sim__/outcomes", json={"outcome": "pending"})
    push = client.post("/mpesa/stkpush/v1/processrequest", json=stk_body(), headers=headers)
    checkout = push.json()["CheckoutRequestID"]
    timestamp = daraja_timestamp(NOW)
    query = {
        "BusinessShortCode": SHORTCODE,
        "Password": stk_password(SHORTCODE, PASSKEY, timestamp),
        "Timestamp": timestamp,
        "CheckoutRequestID": checkout,
    }
    pending = client.post("/mpesa/stkpushquery/v1/query", json=query, headers=headers)
    assert pending.status_code == 500
    assert pending.json()["errorCode"] == "500.001.1001"
    assert pending.json()["errorMessage"] == "The transaction is being processed"
    assert delivered == []
    client.post(f"/__sim__/stk/{checkout}/resolve", json={"outcome": "cancelled"})
    done = client.post("/mpesa/stkpushquery/v1/query", json=query, headers=headers)
    assert done.json()["ResultCode"] == "1032"
    assert parse_stk_callback(delivered[0][1]).result_code == "1032"


@pytest.mark.parametrize(
    ("suffix", "code", "callbacks"),
    [("01", "1032", 1), ("02", "1", 1), ("04", None, 0), ("05", "0", 2), ("06", "1037", 1)],
)
def test_phone_suffix_outcomes(
    client: TestClient,
    delivered: list[tuple[str, dict[str, Any]]],
    suffix: str,
    code: str | None,
    callbacks: int,
) -> None:
    phone = f"2547123456{suffix}"
    client.post("/mpesa/stkpush/v1/processrequest", json=stk_body(phone), headers=bearer(client))
    assert len(delivered) == callbacks
    results = {parse_stk_callback(body).result_code for _, body in delivered}
    assert results == ({code} if code else set())


def test_an_outcome_set_for_a_phone_overrides_its_suffix(
    client: TestClient, delivered: list[tuple[str, dict[str, Any]]]
) -> None:
    client.post("/__sim__/outcomes", json={"outcome": "wrong_pin", "msisdn": "254712345600"})
    client.post("/mpesa/stkpush/v1/processrequest", json=stk_body(), headers=bearer(client))
    assert parse_stk_callback(delivered[0][1]).result_code == "2001"


def test_c2b_simulate_sends_validation_then_a_confirmation_parse_c2b_reads(
    client: TestClient, delivered: list[tuple[str, dict[str, Any]]]
) -> None:
    headers = bearer(client)
    urls = {
        "ShortCode": SHORTCODE,
        "ResponseType": "Completed",
        "ConfirmationURL": "https://mkopo.test/c2b/confirmation",
        "ValidationURL": "https://mkopo.test/c2b/validation",
    }
    registered = client.post("/mpesa/c2b/v2/registerurl", json=urls, headers=headers)
    assert registered.json()["ResponseCode"] == "0"
    assert "OriginatorCoversationID" in registered.json()
    pay = {
        "ShortCode": SHORTCODE,
        "CommandID": "CustomerPayBillOnline",
        "Amount": 500,
        "Msisdn": 254712345678,
        "BillRefNumber": " ln 12345 ",
    }
    assert client.post("/mpesa/c2b/v2/simulate", json=pay, headers=headers).status_code == 200
    assert [url for url, _ in delivered] == [urls["ValidationURL"], urls["ConfirmationURL"]]
    confirmation = delivered[1][1]
    assert confirmation["MSISDN"] == "2547 ***** 678"
    assert confirmation["TransAmount"] == "500.00"
    payment = parse_c2b(confirmation)
    assert payment.amount_minor == 50_000
    assert payment.account_reference == "LN12345"
    assert payment.msisdn is None
    assert payment.org_balance_minor == 50_000
    state_answer = client.get("/__sim__/state").json()
    assert state_answer["working_minor"] == 50_000


def test_keys_are_written_once_and_loaded_again(tmp_path: Path) -> None:
    key_path, cert_path = tmp_path / "sim.key", tmp_path / "sim.pem"
    made = load_or_create_keys(key_path, cert_path)
    loaded = load_or_create_keys(key_path, cert_path)
    assert loaded.cert_pem == made.cert_pem == cert_path.read_bytes()
    credential = security_credential(INITIATOR_PASSWORD, cert_path.read_bytes())
    assert loaded.decrypt_credential(credential) == INITIATOR_PASSWORD
    assert loaded.decrypt_credential("not base64!") is None
    assert key_path.stat().st_mode & 0o777 == 0o600


def test_b2c_suffix_02_fails_with_1_and_06_sends_a_queue_timeout(
    client: TestClient, keys: SimulatorKeys, delivered: list[tuple[str, dict[str, Any]]]
) -> None:
    headers = bearer(client)
    short = b2c_body(keys, OriginatorConversationID="p-02", PartyB="254712345602")
    client.post("/mpesa/b2c/v3/paymentrequest", json=short, headers=headers)
    late = b2c_body(keys, OriginatorConversationID="p-06", PartyB="254712345606")
    client.post("/mpesa/b2c/v3/paymentrequest", json=late, headers=headers)
    assert b2c_result(parse_result(delivered[0][1])).result_code == "1"
    url, notice = delivered[1]
    assert url.endswith("/b2c/timeout")
    assert parse_timeout(notice).originator_id == "p-06"


def test_darajaclient_payout_end_to_end_in_process(
    client: TestClient, keys: SimulatorKeys, delivered: list[tuple[str, dict[str, Any]]]
) -> None:
    def forward(request: httpx.Request) -> httpx.Response:
        answer = client.request(
            request.method,
            str(request.url),
            content=request.content,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    config = DarajaConfig(
        base_url="https://sim.test",
        consumer_key=KEY,
        consumer_secret=SECRET,
        shortcode=SHORTCODE,
        passkey=PASSKEY,
        initiator_name=INITIATOR,
        initiator_password=INITIATOR_PASSWORD,
        cert_bytes=keys.cert_pem,
        callback_base_url="https://mkopo.test",
        callback_token="tok",
    )
    with DarajaClient(config, clock=lambda: NOW, transport=httpx.MockTransport(forward)) as daraja:
        order = PayoutOrder("payout-e2e", "0712345600", 2_500_00, "Loan disbursement")
        submitted = daraja.submit_payout(order)
        assert submitted.submission is Submission.ACCEPTED
        assert daraja.submit_payout(order).submission is Submission.ACCEPTED  # duplicate
        collect = daraja.stk_push("0712345600", 100_00, "LN1")
        assert collect.submission is Submission.ACCEPTED
        assert collect.checkout_id is not None
        assert daraja.stk_query(collect.checkout_id).state is StkState.SUCCEEDED
    url, body = delivered[0]
    assert url == RESULT_URL
    payout = b2c_result(parse_result(body)).to_payout_result()
    assert payout.succeeded
    assert payout.originator_id == "payout-e2e"
    assert payout.receipt is not None
