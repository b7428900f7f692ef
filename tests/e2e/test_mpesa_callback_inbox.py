"""Daraja callbacks are checked, stored once, and answered as Daraja expects."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db.session import Sessions
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.models import MpesaCallback
from tests.support.api import fund_app
from tests.support.clock import FrozenClock
from tests.support.lending import KES, Fund

TOKEN = "t0k3n-for-tests"
BASE = f"/callbacks/mpesa/{TOKEN}"
STK_SUCCESS = {
    "Body": {
        "stkCallback": {
            "MerchantRequestID": "29115-34620561-1",
            "CheckoutRequestID": "ws_CO_191220191020363925",
            "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
            "CallbackMetadata": {
                "Item": [
                    {"Name": "Amount", "Value": 1.00},
                    {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                    {"Name": "Balance"},
                    {"Name": "TransactionDate", "Value": 20191219102115},
                    {"Name": "PhoneNumber", "Value": 254708374149},
                ]
            },
        }
    }
}
B2C_RESULT = {
    "Result": {
        "ResultType": 0,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": "9f0c3f9a3b5e4e3c8a1f0d2b7c6e5a41",
        "ConversationID": "AG_20240706_2010364430d9bbdaf872",
        "TransactionID": "SG632NMUAB",
    }
}


def c2b(account: str, receipt: str = "RKL51ZDR4F") -> dict[str, str]:
    return {
        "TransactionType": "Pay Bill",
        "TransID": receipt,
        "TransTime": "20231121121325",
        "TransAmount": "500.00",
        "BusinessShortCode": "600000",
        "BillRefNumber": account,
        "InvoiceNumber": "",
        "OrgAccountBalance": "",
        "ThirdPartyTransID": "",
        "MSISDN": "2547 ***** 126",
        "FirstName": "NICHOLAS",
        "MiddleName": "",
        "LastName": "",
    }


@pytest.fixture
def client(fund: Fund, tmp_path: Path) -> Iterator[TestClient]:
    app = fund_app(fund, tmp_path, mpesa_callback_token=TOKEN)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def stored(sessions: Sessions) -> list[MpesaCallback]:
    with sessions.reader() as session:
        return list(session.scalars(select(MpesaCallback).order_by(MpesaCallback.id)))


def test_a_wrong_token_is_refused_and_nothing_is_stored(client: TestClient, fund: Fund) -> None:
    response = client.post("/callbacks/mpesa/guess/stk", json=STK_SUCCESS)
    assert response.status_code == 404
    assert stored(fund.sessions) == []


def test_an_stk_callback_delivered_twice_is_stored_once_and_acknowledged(
    client: TestClient, fund: Fund
) -> None:
    for _ in range(2):
        response = client.post(f"{BASE}/stk", json=STK_SUCCESS)
        assert response.status_code == 200
        assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    rows = stored(fund.sessions)
    assert [(r.kind, r.natural_key, r.status, r.deliveries) for r in rows] == [
        ("stk", "ws_CO_191220191020363925", "received", 2)
    ]


def test_a_malformed_body_is_stored_and_acknowledged_never_a_500(
    client: TestClient, fund: Fund
) -> None:
    response = client.post(
        f"{BASE}/b2c/result", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    missing_ids = client.post(f"{BASE}/b2c/result", json={"Result": {"ResultCode": 0}})
    assert missing_ids.status_code == 200
    assert [(r.status, r.natural_key.startswith("malformed:")) for r in stored(fund.sessions)] == [
        ("malformed", True),
        ("malformed", True),
    ]


def test_c2b_validation_accepts_an_open_loan_or_a_borrowers_phone_and_refuses_others(
    client: TestClient, fund: Fund
) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    account = fund.loan_of(borrower_id).account_number

    def decide(reference: str, receipt: str) -> dict[str, object]:
        answer: dict[str, object] = client.post(
            f"{BASE}/c2b/validation", json=c2b(reference, receipt)
        ).json()
        return answer

    assert decide(account, "RKL0000001") == {"ResultCode": "0", "ResultDesc": "Accepted"}
    assert decide(account.lower(), "RKL0000002")["ResultCode"] == "0"
    assert decide("0712345678", "RKL0000003")["ResultCode"] == "0"
    assert decide("MK99999990", "RKL0000004")["ResultCode"] == "C2B00012"
    assert decide("0799999999", "RKL0000005")["ResultCode"] == "C2B00012"
    assert decide("", "RKL0000006")["ResultCode"] == "C2B00012"


def test_the_same_result_delivered_10_times_at_once_is_stored_once(
    fund: Fund, clock: FrozenClock
) -> None:
    raw = json.dumps(B2C_RESULT).encode()
    start = threading.Barrier(10)

    def deliver(_n: int) -> bool:
        start.wait()
        with fund.sessions.unit_of_work() as session:
            stored = store_callback(
                session, Delivery("b2c/result", raw, "127.0.0.1"), clock(), None
            )
            return stored.duplicate

    with ThreadPoolExecutor(10) as pool:
        duplicates = list(pool.map(deliver, range(10)))
    assert duplicates.count(False) == 1
    rows = stored(fund.sessions)
    assert [(r.natural_key, r.deliveries) for r in rows] == [
        ("9f0c3f9a3b5e4e3c8a1f0d2b7c6e5a41", 10)
    ]
