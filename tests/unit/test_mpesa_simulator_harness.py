"""A Daraja simulator harness shared by the ``test_mpesa_simulator_*`` modules: the simulator
in process behind a TestClient, a thread-safe recording ``deliver``, the DarajaClient wired to
it, and request bodies. Its own tests check the recorder the others rely on."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

from integrations.http_retry import RetryPolicy
from integrations.mpesa.client import DarajaClient, DarajaConfig
from integrations.mpesa.credentials import daraja_timestamp, security_credential, stk_password
from integrations.mpesa.simulator.app import create_simulator
from integrations.mpesa.simulator.keys import SimulatorKeys
from integrations.mpesa.simulator.state import App, Organisation, SimulatorState
from tests.support.clock import FrozenClock

SHORTCODE, PASSKEY = "600992", "sim-passkey"
INITIATOR, INITIATOR_PASSWORD = "testapi", "Safaricom999!*!"
KEY, SECRET = "sim-key", "sim-secret"
BASE_URL = "https://sim.test"
CALLBACKS = "https://mkopo.test/callbacks/mpesa/tok"
B2C = "/mpesa/b2c/v3/paymentrequest"
STK = "/mpesa/stkpush/v1/processrequest"
STK_QUERY = "/mpesa/stkpushquery/v1/query"
STATUS = "/mpesa/transactionstatus/v1/query"
BALANCE = "/mpesa/accountbalance/v1/query"
REVERSAL = "/mpesa/reversal/v1/request"
WAIT_S = 5.0

Callback = tuple[str, dict[str, Any]]


class Recorder:
    """A recording ``deliver``, safe to call from delivery threads; tests wait on it."""

    def __init__(self, on_call: Callable[[str, dict[str, Any]], object] | None = None) -> None:
        self.calls: list[Callback] = []
        self.on_call = on_call
        self._changed = threading.Condition()

    def __call__(self, url: str, body: dict[str, Any]) -> object:
        if self.on_call is not None:
            self.on_call(url, body)
        with self._changed:
            self.calls.append((url, body))
            self._changed.notify_all()
        return None

    def wait_for(self, count: int, timeout_s: float = WAIT_S) -> list[Callback]:
        assert self.arrived(count, timeout_s), (
            f"{len(self.calls)} callbacks after {timeout_s} s, wanted {count}"
        )
        return list(self.calls)

    def arrived(self, count: int, timeout_s: float = WAIT_S) -> bool:
        """Whether ``count`` callbacks came within ``timeout_s``."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.calls) >= count, timeout_s)

    def to(self, kind: str) -> list[dict[str, Any]]:
        """The bodies sent to ``{CALLBACKS}/{kind}`` (e.g. "b2c/result"), in order."""
        return self.to_url(f"{CALLBACKS}/{kind}")

    def to_url(self, url: str) -> list[dict[str, Any]]:
        with self._changed:
            return [body for called, body in self.calls if called == url]


@dataclass
class Harness:
    state: SimulatorState
    recorder: Recorder
    http: TestClient
    keys: SimulatorKeys
    clock: FrozenClock

    def headers(self) -> dict[str, str]:
        basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        answer = self.http.get(
            "/oauth/v1/generate",
            params={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def forward(self, request: httpx.Request) -> httpx.Response:
        answer = self.http.request(
            request.method,
            str(request.url),
            content=request.content,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def daraja(
        self,
        password: str = INITIATOR_PASSWORD,
        transport: httpx.BaseTransport | None = None,
        **options: Any,
    ) -> DarajaClient:
        config = DarajaConfig(
            base_url=BASE_URL,
            consumer_key=KEY,
            consumer_secret=SECRET,
            shortcode=SHORTCODE,
            passkey=PASSKEY,
            initiator_name=INITIATOR,
            initiator_password=password,
            cert_bytes=self.keys.cert_pem,
            callback_base_url="https://mkopo.test",
            callback_token="tok",
        )
        return DarajaClient(
            config,
            clock=self.clock,
            transport=transport or httpx.MockTransport(self.forward),
            retry=RetryPolicy(sleep=lambda _: None),
            **options,
        )

    def b2c_body(self, originator: str = "payout-1", **changes: str) -> dict[str, str]:
        body = {
            "OriginatorConversationID": originator,
            "InitiatorName": INITIATOR,
            "SecurityCredential": security_credential(INITIATOR_PASSWORD, self.keys.cert_pem),
            "CommandID": "BusinessPayment",
            "Amount": "1500",
            "PartyA": SHORTCODE,
            "PartyB": "254712345600",
            "Remarks": "Loan disbursement",
            "QueueTimeOutURL": f"{CALLBACKS}/b2c/timeout",
            "ResultURL": f"{CALLBACKS}/b2c/result",
        }
        return body | changes

    def stk_body(self, phone: str = "254712345600", **changes: str) -> dict[str, str]:
        timestamp = daraja_timestamp(self.clock())
        body = {
            "BusinessShortCode": SHORTCODE,
            "Password": stk_password(SHORTCODE, PASSKEY, timestamp),
            "Timestamp": timestamp,
            "TransactionType": "CustomerPayBillOnline",
            "Amount": "500",
            "PartyA": phone,
            "PartyB": SHORTCODE,
            "PhoneNumber": phone,
            "CallBackURL": f"{CALLBACKS}/stk",
            "AccountReference": "LN12345",
            "TransactionDesc": "Repayment",
        }
        return body | changes

    def pay_by_stk(self, phone: str = "254712345600", amount_kes: int = 500) -> str:
        """A completed STK payment; its receipt."""
        before = len(self.recorder.to("stk"))
        self.http.post(
            STK, json=self.stk_body(phone, Amount=str(amount_kes)), headers=self.headers()
        )
        callback = self.recorder.to("stk")[before]["Body"]["stkCallback"]
        items = {item["Name"]: item.get("Value") for item in callback["CallbackMetadata"]["Item"]}
        return str(items["MpesaReceiptNumber"])

    def pay_by_c2b(self, msisdn: str, amount_kes: int, bill_ref: str) -> str:
        """A completed C2B paybill payment (no URLs registered); its receipt."""
        self.http.post(
            "/mpesa/c2b/v2/simulate",
            json={
                "ShortCode": SHORTCODE,
                "CommandID": "CustomerPayBillOnline",
                "Amount": amount_kes,
                "Msisdn": int(msisdn),
                "BillRefNumber": bill_ref,
            },
            headers=self.headers(),
        )
        with self.state.lock:
            payments = [tx for (kind, _), tx in self.state.transactions.items() if kind == "c2b"]
        assert payments[-1].receipt is not None
        return payments[-1].receipt


@contextmanager
def running_simulator(
    keys: SimulatorKeys,
    clock: FrozenClock | None = None,
    recorder: Recorder | None = None,
    **state_options: Any,
) -> Iterator[Harness]:
    clock = clock or FrozenClock()
    recorder = recorder or Recorder()
    org = Organisation(SHORTCODE, PASSKEY, INITIATOR, INITIATOR_PASSWORD)
    state = SimulatorState(org, [App(KEY, SECRET)], keys=keys, clock=clock, **state_options)
    with TestClient(create_simulator(state, recorder), base_url=BASE_URL) as http:
        yield Harness(state, recorder, http, keys, clock)


def test_the_recorder_waits_for_callbacks_from_other_threads() -> None:
    recorder = Recorder()
    threading.Timer(0.05, recorder, args=("https://x.test/a", {"n": 1})).start()
    started = time.monotonic()
    assert recorder.wait_for(1) == [("https://x.test/a", {"n": 1})]
    assert time.monotonic() - started < WAIT_S
