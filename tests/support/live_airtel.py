"""The Airtel Money simulator as a process of the live stack (``mkopo simulator --provider
airtel``, as ``make run`` starts it), on a free port, and the test's hands on it: scripted
outcomes and the state it keeps (the customers' wallets, every transaction).

It reads the same ``MKOPO_AIRTEL_*`` variables as the API and the worker (``airtel_env``), so
both sides agree on credentials, PIN, key and callback token; it writes the key pair on
start, before the worker first builds its Airtel client. Opt-in (``start_stack(...,
airtel=True)``): the M-Pesa live tests run without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.live_processes import MkopoProcess, wait_until

START_S = 30
CALL_TIMEOUT_S = 10


def airtel_env(root: Path, port: int) -> dict[str, str]:
    """The ``MKOPO_AIRTEL_*`` settings for a simulator on ``port`` (callbacks: the API's base)."""
    return {
        "MKOPO_AIRTEL_BASE_URL": f"http://127.0.0.1:{port}",
        "MKOPO_AIRTEL_PUBLIC_KEY_PATH": str(root / "keys" / "airtel-sim-public-key.txt"),
        "MKOPO_AIRTEL_TOKEN_PATH": str(root / "airtel-token.json"),
        "MKOPO_AIRTEL_CALLBACK_TOKEN": "live-airtel-callback",  # not the default: both must agree
    }


@dataclass
class AirtelSimulator:
    process: MkopoProcess
    url: str

    def start(self) -> None:
        self.process.start()
        wait_until(
            lambda: self._answers() or not self.process.alive(), START_S, "the Airtel simulator"
        )
        assert self.process.alive(), self.process.log_tail()

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/__sim__/state", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = httpx.request(method, f"{self.url}{path}", timeout=CALL_TIMEOUT_S, **kwargs)
        answer.raise_for_status()
        return answer

    def set_outcome(self, msisdn: str, outcome: str, **extra: Any) -> None:
        """``outcome`` (integrations/airtel/simulator/outcomes.py) for every call naming
        ``msisdn`` (12 digits), e.g. ``duplicate`` with ``copies=10``."""
        body = {"outcome": outcome, "msisdn": msisdn, **extra}
        self.call("POST", "/__sim__/outcomes", json=body)

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.call("GET", "/__sim__/state").json()
        return state

    def transactions(self, kind: str, msisdn: str) -> list[dict[str, Any]]:
        """``disbursement`` or ``collection`` transactions of one customer, in order."""
        found = self.state()["transactions"]
        return [t for t in found if t["kind"] == kind and t["msisdn"] == msisdn]

    def wallet_minor(self, msisdn: str) -> int | None:
        """The customer's simulated Airtel Money balance (None: never touched)."""
        balance: int | None = self.state()["wallets"].get(msisdn)
        return balance
