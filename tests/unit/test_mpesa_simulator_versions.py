"""The v1 paths two of the three PyPI clients call (C2B v1 register and simulate, B2C v1), each
answering with its own shapes; and Safaricom's rules for registered C2B URLs."""

from __future__ import annotations

import hashlib
import re

import pytest

from integrations.mpesa.callbacks import parse_c2b
from integrations.mpesa.normalise import msisdn_fits_hint
from integrations.mpesa.results import b2c_result, parse_result
from integrations.mpesa.simulator.keys import SimulatorKeys
from tests.unit.test_mpesa_simulator_harness import SHORTCODE, Harness, running_simulator

PAYER = "254712345678"
CONFIRM, VALIDATE = "https://fund.example/hooks/mm/c2b/confirm", "https://fund.example/hooks/mm/v"
V2_ID = re.compile(r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\d{7}")
"""``6e86-45dd-91ac-fd5d4178ab523408729`` (OFF3 CustomerToBusiness)."""
V1_ID = re.compile(r"\d{4,5}-\d{6,8}-\d")
"""``7619-37765134-1`` (OFF3 CustomerToBusinessRegisterURL), ``19455-424535-1`` ([OLD] B2C)."""


def register(
    sim: Harness, version: str, confirm: str = CONFIRM, validate: str = VALIDATE
) -> dict[str, str]:
    urls = {
        "ShortCode": SHORTCODE,
        "ResponseType": "Completed",
        "ConfirmationURL": confirm,
        "ValidationURL": validate,
    }
    answer = sim.http.post(f"/mpesa/c2b/{version}/registerurl", json=urls, headers=sim.headers())
    body: dict[str, str] = answer.json()
    return body


def simulate(sim: Harness, version: str) -> dict[str, str]:
    pay = {
        "ShortCode": int(SHORTCODE),
        "CommandID": "CustomerPayBillOnline",
        "Amount": 75,
        "Msisdn": int(PAYER),
        "BillRefNumber": "LN12345",
    }
    answer = sim.http.post(f"/mpesa/c2b/{version}/simulate", json=pay, headers=sim.headers())
    assert answer.status_code == 200
    body: dict[str, str] = answer.json()
    return body


def test_c2b_v2_answers_with_the_v2_samples_and_masks_the_payer(sim: Harness) -> None:
    registered = register(sim, "v2")
    assert set(registered) == {"OriginatorCoversationID", "ResponseCode", "ResponseDescription"}
    assert V2_ID.fullmatch(registered["OriginatorCoversationID"])
    assert (registered["ResponseCode"], registered["ResponseDescription"]) == ("0", "Success")
    paid = simulate(sim, "v2")
    assert V2_ID.fullmatch(paid["OriginatorCoversationID"])
    assert paid["ResponseDescription"] == "Accept the service request successfully."
    [(_, check), (_, confirmation)] = sim.recorder.wait_for(2)
    assert check["MSISDN"] == confirmation["MSISDN"] == "2547 ***** 678"


def test_c2b_v1_answers_with_the_v1_samples_and_hashes_the_payer(sim: Harness) -> None:
    registered = register(sim, "v1")
    assert set(registered) == {"OriginatorCoversationID", "ResponseCode", "ResponseDescription"}
    assert V1_ID.fullmatch(registered["OriginatorCoversationID"])
    assert (registered["ResponseCode"], registered["ResponseDescription"]) == ("0", "success")
    paid = simulate(sim, "v1")
    assert set(paid) == {"ConversationID", "OriginatorCoversationID", "ResponseDescription"}
    assert re.fullmatch(r"AG_\d{8}_[0-9a-f]{20}", paid["ConversationID"])
    assert V1_ID.fullmatch(paid["OriginatorCoversationID"])
    [(url, check), (_, confirmation)] = sim.recorder.wait_for(2)
    assert url == VALIDATE
    hashed = hashlib.sha256(PAYER.encode()).hexdigest()
    assert check["MSISDN"] == confirmation["MSISDN"] == hashed
    payment = parse_c2b(confirmation)
    assert payment.msisdn is None
    assert payment.msisdn_hint is not None
    assert msisdn_fits_hint(PAYER, payment.msisdn_hint)
    assert payment.amount_minor == 75_00


def test_the_latest_registration_decides_the_payer_s_form(sim: Harness) -> None:
    register(sim, "v1")
    register(sim, "v2")
    simulate(sim, "v1")
    assert [body["MSISDN"] for _, body in sim.recorder.wait_for(2)] == ["2547 ***** 678"] * 2


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize(
    "url",
    [
        "https://fund.example/callbacks/mpesa/tok/c2b",
        "https://fund.example/M-PESA/c2b",
        "https://safaricom-hooks.example/c2b",
        "https://fund.example/hooks/exec",
        "https://fund.example/hooks?token=cmdX",
        "https://fund.example/SQL/c2b",
        "https://fund.example/hooks/query",
        "http://fund.example/hooks/c2b",
        "http://127.0.0.1:8000/callbacks/mpesa/tok/c2b",
        "ftp://fund.example/hooks",
        "not a url",
    ],
)
def test_urls_safaricom_refuses_are_refused_at_registration(
    keys: SimulatorKeys, version: str, url: str
) -> None:
    with running_simulator(keys, allow_local_callbacks=False) as sim:
        for confirm, validate, field in (
            (url, VALIDATE, "ConfirmationURL"),
            (CONFIRM, url, "ValidationURL"),
        ):
            answer = sim.http.post(
                f"/mpesa/c2b/{version}/registerurl",
                json={
                    "ShortCode": SHORTCODE,
                    "ResponseType": "Completed",
                    "ConfirmationURL": confirm,
                    "ValidationURL": validate,
                },
                headers=sim.headers(),
            )
            assert answer.status_code == 400
            assert answer.json()["errorMessage"] == f"Bad Request - Invalid {field}"
        assert sim.state.c2b_urls == {}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/callbacks/mpesa/tok/c2b",
        "http://localhost/callbacks/mpesa/c2b",
        "http://[::1]:8000/c2b",
        "http://10.0.0.5/mpesa/c2b",
        "http://api:8000/callbacks/mpesa/c2b",
        "http://mkopo.internal/callbacks/mpesa/c2b",
    ],
)
def test_the_local_setting_lets_a_developer_register_local_urls(sim: Harness, url: str) -> None:
    assert sim.state.allow_local_callbacks  # the default
    assert register(sim, "v2", url, url)["ResponseCode"] == "0"
    assert register(sim, "v2", "http://fund.example/hooks", VALIDATE).get("ResponseCode") is None


def test_b2c_v1_takes_no_originator_id_and_makes_its_own(sim: Harness) -> None:
    body = sim.b2c_body() | {"Occasion": "Loan"}
    del body["OriginatorConversationID"]
    first = sim.http.post("/mpesa/b2c/v1/paymentrequest", json=body, headers=sim.headers()).json()
    again = sim.http.post("/mpesa/b2c/v1/paymentrequest", json=body, headers=sim.headers()).json()
    for answer in (first, again):
        assert set(answer) == {
            "ConversationID",
            "OriginatorConversationID",
            "ResponseCode",
            "ResponseDescription",
        }
        assert V1_ID.fullmatch(answer["OriginatorConversationID"])
        assert answer["ResponseCode"] == "0"
    assert first["OriginatorConversationID"] != again["OriginatorConversationID"]
    results = [b2c_result(parse_result(r)) for r in sim.recorder.to("b2c/result")]
    assert [r.originator_id for r in results] == [
        first["OriginatorConversationID"],
        again["OriginatorConversationID"],
    ]
    assert all(r.succeeded for r in results)  # v1 has no duplicate check: two payouts


def test_b2c_v1_checks_its_fields_like_v3(sim: Harness) -> None:
    body = sim.b2c_body(Remarks="x")
    answer = sim.http.post("/mpesa/b2c/v1/paymentrequest", json=body, headers=sim.headers())
    assert answer.json()["errorMessage"] == "Bad Request - Invalid Remarks"
