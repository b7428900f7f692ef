"""The Airtel simulator's strictness, in process (TestClient, callbacks recorded): auth and
headers, Airtel's envelopes, field checks, limits, the PIN and the v2 signature checked by
decryption, duplicate ids, outcomes by suffix, ambiguous and pending transactions, faults, and
the statement export's running balance."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from integrations.airtel.callbacks import parse_callback
from integrations.airtel.config import RsaPadding
from integrations.airtel.crypto import compact_json, encrypt_pin, load_public_key, sign_body
from integrations.airtel.simulator.app import create_simulator
from integrations.airtel.simulator.state import AirtelSimState
from integrations.airtel.simulator.statement import HEADERS
from tests.support.airtel import KEYS, PIN

SECRET = "cb-secret"
URLS = {"collection": "https://mkopo.test/cb/collection", "disbursement": "https://mkopo.test/cb/d"}


class Harness:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.state = AirtelSimState(
            client_id="cid",
            client_secret="csecret",
            pin=PIN,
            callback_urls=dict(URLS),
            callback_secret=SECRET,
            keys=KEYS,
        )
        app = create_simulator(self.state, lambda url, b: self.calls.append((url, b)))
        self.http = TestClient(app)
        token = self.http.post(
            "/auth/oauth2/token",
            json={
                "client_id": "cid",
                "client_secret": "csecret",
                "grant_type": "client_credentials",
            },
        ).json()["access_token"]
        self.headers = {
            "Authorization": f"Bearer {token}",
            "X-Country": "KE",
            "X-Currency": "KES",
        }
        self.public_key = load_public_key(KEYS.public_key_text())

    def post(self, path: str, body: object, **headers: str) -> Any:
        return self.http.post(path, json=body, headers=self.headers | headers)

    def get(self, path: str) -> Any:
        return self.http.get(path, headers=self.headers)

    def disburse(self, msisdn: str = "733123400", tx_id: str = "p1", **changes: Any) -> Any:
        body = {
            "payee": {"msisdn": msisdn, "wallet_type": "NORMAL"},
            "reference": "Mkopoloan",
            "pin": encrypt_pin(PIN, self.public_key, RsaPadding.PKCS1V15),
            "transaction": {"amount": 1500, "id": tx_id, "type": "B2C"},
        }
        return self.post("/standard/v2/disbursements/", body | changes)

    def collect(self, msisdn: str = "733123400", tx_id: str = "c1", amount: object = 200) -> Any:
        where = {"country": "KE", "currency": "KES"}
        body = {
            "reference": "LN00421",
            "subscriber": {**where, "msisdn": msisdn},
            "transaction": {"amount": amount, **where, "id": tx_id},
        }
        return self.post("/merchant/v1/payments/", body)


@pytest.fixture
def sim() -> Iterator[Harness]:
    harness = Harness()
    with harness.http:
        yield harness


def status(answer: Any) -> dict[str, Any]:
    found: dict[str, Any] = answer.json()["status"]
    return found


def test_the_token_answer_has_a_string_lifetime_and_bad_credentials_are_401(sim: Harness) -> None:
    good = {"client_id": "cid", "client_secret": "csecret", "grant_type": "client_credentials"}
    answer = sim.http.post("/auth/oauth2/token", json=good).json()
    assert (answer["expires_in"], answer["token_type"]) == ("180", "bearer")
    assert (
        sim.http.post("/auth/oauth2/token", json=good | {"client_secret": "x"}).status_code == 401
    )
    assert sim.http.post("/auth/oauth2/token", json=good | {"grant_type": "x"}).status_code == 400
    assert sim.http.post("/auth/oauth2/token", json=good | {"client_id": "cïd"}).status_code == 401
    assert sim.http.post("/auth/oauth2/token", content=b"[1]").status_code == 400


def test_calls_without_a_valid_token_are_401(sim: Harness) -> None:
    answer = sim.http.get("/standard/v1/payments/c1", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"


@pytest.mark.parametrize(
    ("headers", "result_code"),
    [
        ({"X-Country": ""}, "ROUTER003"),
        ({"X-Country": "UG"}, "ROUTER006"),
        ({"X-Currency": "UGX"}, "ROUTER112"),
    ],
)
def test_country_and_currency_headers_are_checked(
    sim: Harness, headers: dict[str, str], result_code: str
) -> None:
    answer = sim.http.get("/standard/v1/payments/c1", headers=sim.headers | headers)
    assert answer.status_code == 200
    assert status(answer)["success"] is False
    assert status(answer)["result_code"] == result_code


def test_a_collection_is_in_process_with_id_false_then_the_callback_carries_a_hash(
    sim: Harness,
) -> None:
    answer = sim.collect()
    assert status(answer)["response_code"] == "DP00800001006"
    assert answer.json()["data"]["transaction"]["id"] is False
    [(url, body)] = sim.calls
    assert url == URLS["collection"]
    assert parse_callback(body, secret=SECRET).succeeded


@pytest.mark.parametrize(
    ("msisdn", "amount", "code"),
    [
        ("0733123400", 200, "ESB000033"),  # not 9 digits: the country's form only
        ("733123400", 9, "DP00800001004"),
        ("733123400", 150_001, "DP00800001004"),
        ("733123400", 200.5, "DP00800001004"),
        ("712123400", 200, "DP00800001010"),  # a Safaricom number
    ],
)
def test_numbers_and_amounts_airtel_refuses_are_refused(
    sim: Harness, msisdn: str, amount: object, code: str
) -> None:
    found = status(sim.collect(msisdn, amount=amount))
    assert found["success"] is False
    assert code in (found.get("response_code"), found["result_code"])
    assert sim.calls == []


def test_a_malformed_request_is_400_with_the_field_validation_envelope(sim: Harness) -> None:
    answer = sim.post("/merchant/v1/payments/", {"reference": "LN00421"})
    assert answer.status_code == 400
    assert status(answer)["result_code"] == "ESB000008"


def test_a_second_use_of_a_transaction_id_is_refused_and_pays_nothing(sim: Harness) -> None:
    sim.disburse()
    again = status(sim.disburse())
    assert (again["success"], again["response_code"]) == (False, "DP00900001017")
    assert sim.state.wallets["254733123400"] == 50_000_00 + 1500_00


def test_a_wrong_pin_and_a_pin_that_does_not_decrypt_are_refused(sim: Harness) -> None:
    wrong = encrypt_pin("0000", sim.public_key, RsaPadding.PKCS1V15)
    assert status(sim.disburse(pin=wrong))["result_code"] == "ROUTER115"
    assert status(sim.disburse(tx_id="p2", pin="not base64!"))["result_code"] == "ROUTER116"
    # Under the wrong padding the PIN does not come out (OpenSSL may hand back random bytes
    # instead of an error, its defence against padding oracles): refused either way.
    oaep = encrypt_pin(PIN, sim.public_key, RsaPadding.OAEP_SHA256)
    found = status(sim.disburse(tx_id="p3", pin=oaep))
    assert found["result_code"] in {"ROUTER115", "ROUTER116"}
    assert sim.state.disbursement_minor == 1_000_000_00


def test_a_v2_collection_whose_signature_does_not_match_the_body_is_forbidden(
    sim: Harness,
) -> None:
    body = {
        "reference": "LN00421",
        "subscriber": {"country": "KE", "currency": "KES", "msisdn": "733123400"},
        "transaction": {"amount": 200, "country": "KE", "currency": "KES", "id": "c1"},
    }
    other = sign_body(
        compact_json(body | {"reference": "LN99999"}), sim.public_key, RsaPadding.PKCS1V15
    )
    answer = sim.http.post(
        "/merchant/v2/payments/", content=compact_json(body), headers=sim.headers | other.headers()
    )
    assert status(answer)["response_code"] == "DP00800001026"
    good = sign_body(compact_json(body), sim.public_key, RsaPadding.PKCS1V15)
    answer = sim.http.post(
        "/merchant/v2/payments/", content=good.body, headers=sim.headers | good.headers()
    )
    assert status(answer)["response_code"] == "DP00800001006"


@pytest.mark.parametrize(
    ("suffix", "code"),
    [
        ("01", "DP00900001013"),
        ("02", "DP00900001007"),
        ("03", "DP00900001013"),
        ("06", "DP00900001014"),
    ],
)
def test_disbursement_refusals_by_suffix_answer_at_once_and_end_failed(
    sim: Harness, suffix: str, code: str
) -> None:
    found = status(sim.disburse(f"7331234{suffix}"))
    assert (found["success"], found["response_code"]) == (False, code)
    enquiry = sim.get("/standard/v2/disbursements/p1?transactionType=B2C").json()
    assert enquiry["data"]["transaction"]["status"] == "TF"
    assert sim.calls == []


def test_an_ambiguous_disbursement_is_ta_then_ts_on_a_later_enquiry(sim: Harness) -> None:
    assert status(sim.disburse("733123407"))["response_code"] == "DP00900001000"
    path = "/standard/v2/disbursements/p1?transactionType=B2C"
    assert sim.get(path).json()["data"]["transaction"]["status"] == "TA"
    assert sim.get(path).json()["data"]["transaction"]["status"] == "TS"
    assert sim.state.wallets["254733123400".replace("00", "07", 1)] == 50_000_00 + 1500_00
    assert sim.calls == []


def test_a_pending_collection_is_resolved_through_the_control_path(sim: Harness) -> None:
    sim.http.post("/__sim__/outcomes", json={"outcome": "pending", "msisdn": "254733123400"})
    sim.collect()
    assert sim.get("/standard/v1/payments/c1").json()["data"]["transaction"]["status"] == "TIP"
    answer = sim.http.post(
        "/__sim__/transactions/collection/c1/resolve", json={"outcome": "cancelled"}
    )
    assert answer.json()["code"] == "DP00800001008"
    assert len(sim.calls) == 1


def test_duplicate_and_lost_callbacks_by_suffix(sim: Harness) -> None:
    sim.collect("733123405", "c5")
    sim.collect("733123404", "c4")
    assert [body["transaction"]["id"] for _, body in sim.calls] == ["c5", "c5"]


def test_throttling_is_429_and_faults_are_validated(sim: Harness) -> None:
    sim.http.post("/__sim__/faults", json={"throttle": 1})
    assert sim.get("/standard/v1/payments/c1").status_code == 429
    assert sim.get("/standard/v1/payments/c1").status_code == 200
    assert sim.http.post("/__sim__/faults", json={"paths": ["nope"]}).status_code == 400
    assert sim.http.post("/__sim__/faults", json={"throttle": -1}).status_code == 400


def test_a_refund_moves_the_payment_back_once(sim: Harness) -> None:
    sim.collect()
    paid = sim.get("/standard/v1/payments/c1").json()["data"]["transaction"]["airtel_money_id"]
    first = sim.post("/standard/v1/payments/refund", {"transaction": {"airtel_money_id": paid}})
    second = sim.post("/standard/v1/payments/refund", {"transaction": {"airtel_money_id": paid}})
    assert (status(first)["success"], status(second)["success"]) == (True, False)
    assert sim.get("/standard/v1/payments/c1").json()["data"]["transaction"]["status"] == "TR"
    assert sim.state.wallets["254733123400"] == 50_000_00


def test_the_statement_balances_run_from_the_opening_balance(sim: Harness) -> None:
    sim.collect(tx_id="c1")
    sim.collect(tx_id="c2", amount=300)
    paid = sim.get("/standard/v1/payments/c1").json()["data"]["transaction"]["airtel_money_id"]
    sim.post("/standard/v1/payments/refund", {"transaction": {"airtel_money_id": paid}})
    text = sim.http.get("/__sim__/statement.csv?account=collection").text
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == HEADERS
    assert [(r[3], r[6], r[7], r[8]) for r in rows[1:]] == [
        ("Merchant Payment", "200.00", "", "200.00"),
        ("Merchant Payment", "300.00", "", "500.00"),
        ("Refund", "", "200.00", "300.00"),
    ]
    assert rows[1][5] == "733****00"
    assert sim.http.get("/__sim__/statement.csv?account=x").status_code == 400
