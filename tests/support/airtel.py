"""A scripted fake Airtel for the client's unit tests (``httpx.MockTransport``, no network): it
issues tokens tok1, tok2..., answers API calls from a script, then with ``default``."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.airtel.client import AirtelClient
from integrations.airtel.config import AirtelConfig, RsaPadding
from integrations.airtel.simulator.keys import AirtelKeys
from integrations.http_retry import RetryPolicy
from tests.support.clock import FrozenClock

BASE_URL = "https://openapiuat.airtel.test"
TOKEN_PATH = "/auth/oauth2/token"
PIN = "4826"
PHONE = "254733123456"
KEYS = AirtelKeys(rsa.generate_private_key(public_exponent=65537, key_size=2048))

Step = httpx.Response | type[httpx.TransportError]


def answer(
    success: object,
    response_code: str | None = None,
    result_code: str = "ESB000010",
    transaction: dict[str, Any] | None = None,
    http_status: int = 200,
) -> httpx.Response:
    status: dict[str, Any] = {"code": "200", "message": "msg", "result_code": result_code}
    if response_code is not None:
        status["response_code"] = response_code
    status["success"] = success
    body: dict[str, Any] = {"status": status}
    if transaction is not None:
        body["data"] = {"transaction": transaction}
    return httpx.Response(http_status, json=body)


def accepted_payout() -> httpx.Response:
    return answer(True, "DP00900001001", transaction={"airtel_money_id": "CI1", "status": "TS"})


class FakeAirtel:
    def __init__(self, default: httpx.Response | None = None, expires_in: object = "180") -> None:
        self.default = default if default is not None else accepted_payout()
        self.expires_in = expires_in
        self.script: list[Step] = []
        self.tokens_issued = 0
        self.calls: list[httpx.Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            body = json.loads(request.content)
            assert body == {
                "client_id": "client-id",
                "client_secret": "client-secret-xyz",
                "grant_type": "client_credentials",
            }
            with self._lock:
                self.tokens_issued += 1
                token = f"tok{self.tokens_issued}"
            return httpx.Response(
                200,
                json={"access_token": token, "expires_in": self.expires_in, "token_type": "bearer"},
            )
        with self._lock:
            self.calls.append(request)
            step = self.script.pop(0) if self.script else self.default
        if isinstance(step, httpx.Response):
            return httpx.Response(step.status_code, content=step.content, headers=step.headers)
        raise step("scripted fault", request=request)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(call.content) for call in self.calls]

    def bearers(self) -> list[str]:
        return [call.headers["Authorization"] for call in self.calls]


def config(**changes: Any) -> AirtelConfig:
    values: dict[str, Any] = {
        "base_url": BASE_URL,
        "client_id": "client-id",
        "client_secret": "client-secret-xyz",
        "pin": PIN,
        "public_key": KEYS.public_key_text(),
        "callback_token": "cb-token",
        "rsa_padding": RsaPadding.PKCS1V15,
    }
    return AirtelConfig(**(values | changes))


def client(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float], **changes: Any
) -> AirtelClient:
    return AirtelClient(
        config(**changes),
        clock=clock,
        transport=httpx.MockTransport(fake),
        retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 0.5),
    )
