"""One rig per provider for the port's contract suite: the provider's simulator and a callback
receiver, each under uvicorn on a loopback port, and the provider's client over real HTTP.

A rig hides only what truly differs between providers: which numbers script which outcome,
where a result arrives (Daraja: always by callback, its queries answered by callback too;
Airtel: callback or a synchronous enquiry), and which parser reads the callbacks.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request

from integrations.http_retry import RetryPolicy
from integrations.payments.port import CollectionResult, ReversalOrder
from tests.support.live import ServerThread, free_port, wait_until

WAIT_S = 10.0
READ_TIMEOUT = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)
"""The client's timeouts in the suite: a held-back answer (1.5 s) is a read timeout."""
NO_WAITING = RetryPolicy(sleep=lambda _: None)
"""The clients' retries in the suite: as many sends, no backoff between them."""


class Receiver:
    """The fund's side of callbacks: records every POST (path, JSON body) and answers 200."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self.app = FastAPI()
        self.app.add_api_route("/{path:path}", self._receive, methods=["POST"])

    async def _receive(self, path: str, request: Request) -> dict[str, object]:
        body = await request.json()
        with self._lock:
            self.calls.append((path, body))
        return {"ResultCode": 0, "ResultDesc": "Accepted"}

    def bodies(self, suffix: str) -> list[Any]:
        with self._lock:
            return [body for path, body in self.calls if path.endswith(suffix)]

    def all(self) -> list[tuple[str, Any]]:
        with self._lock:
            return list(self.calls)


_numbers = itertools.count(1)


@dataclass
class BaseRig:
    """What both rigs share; each names its simulator's families and numbers."""

    sim_url: str
    receiver: Receiver
    servers: list[ServerThread] = field(default_factory=list)
    payout_family: str = ""
    payout_kind: str = ""
    number_prefix: str = ""
    token_lifetime_s: int = 0
    state: Any = None
    """The simulator's state (each has a ``lock`` and the ``tokens`` it issued)."""

    def number(self, suffix: str) -> str:
        """A number no other test uses, ending in ``suffix`` (the simulators' outcome digits)."""
        middle = f"{next(_numbers):0{10 - len(self.number_prefix)}d}"
        return f"{self.number_prefix}{middle}{suffix}"

    def hold_next_payout_answer(self, delay_s: float) -> None:
        """The next payout is made, but its answer comes ``delay_s`` late (a read timeout)."""
        fault = {"response_delay_s": delay_s, "paths": [self.payout_family], "count": 1}
        self.sim("POST", "/__sim__/faults", json=fault)

    def reversal_order(
        self, paid: CollectionResult, checkout_id: str, amount_minor: int
    ) -> ReversalOrder:
        assert paid.receipt is not None
        return ReversalOrder(paid.receipt, amount_minor, "Paid twice", payment_ref=checkout_id)

    def payouts_to(self, msisdn: str) -> int:
        return len(self.transactions(self.payout_kind, msisdn))

    def tokens_issued(self) -> int:
        with self.state.lock:
            return len(self.state.tokens.expiries)

    @staticmethod
    def client_options(options: dict[str, Any]) -> dict[str, Any]:
        """A provider client's options here: the system clock unless a test gives one, short
        read timeouts, and retries that do not wait."""
        return {"clock": system_clock, "timeout": READ_TIMEOUT, "retry": NO_WAITING, **options}

    def sim(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = httpx.request(method, f"{self.sim_url}{path}", timeout=10, **kwargs)
        answer.raise_for_status()
        return answer

    def set_outcome(self, msisdn: str, outcome: str) -> None:
        self.sim("POST", "/__sim__/outcomes", json={"outcome": outcome, "msisdn": msisdn})

    def revoke_tokens(self) -> None:
        self.sim("POST", "/__sim__/tokens/revoke")

    def wallet(self, msisdn: str) -> int:
        wallets: dict[str, int] = self.sim("GET", "/__sim__/state").json()["wallets"]
        return wallets.get(msisdn, 50_000_00)

    def transactions(self, kind: str, msisdn: str) -> list[dict[str, Any]]:
        state = self.sim("GET", "/__sim__/state").json()
        return [t for t in state["transactions"] if t["kind"] == kind and t["msisdn"] == msisdn]

    def close(self) -> None:
        for server in reversed(self.servers):
            server.stop()


def serve(app: FastAPI) -> ServerThread:
    server = ServerThread(app, free_port())
    server.start()
    return server


def waited(find: Callable[[], Any], what: str) -> Any:
    return wait_until(find, WAIT_S, what)


def settle(seconds: float = 0.3) -> None:
    """Give stray callbacks (duplicates, a second copy) a moment to land before counting."""
    time.sleep(seconds)


def system_clock() -> datetime:
    return datetime.now(UTC)
