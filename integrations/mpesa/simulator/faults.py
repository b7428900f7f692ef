"""Global fault toggles (``/__sim__/faults``) and the API family of each Daraja path.

A ``Faults`` value is plain data; ``SimulatorState`` owns the live one and changes it under its
lock. The response delay is applied by ``ResponseDelay``, an ASGI middleware that holds the
answer back with ``asyncio.sleep`` AFTER the handler ran, so the payment is made even when the
client gives up on a read timeout, and no other request waits.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_FAMILIES: dict[str, str] = {
    "/oauth/v1/generate": "oauth",
    "/mpesa/b2c/v3/paymentrequest": "b2c",
    "/mpesa/b2c/v1/paymentrequest": "b2c",
    "/mpesa/stkpush/v1/processrequest": "stk",
    "/mpesa/stkpushquery/v1/query": "stk_query",
    "/mpesa/c2b/v1/registerurl": "c2b",
    "/mpesa/c2b/v1/simulate": "c2b",
    "/mpesa/c2b/v2/registerurl": "c2b",
    "/mpesa/c2b/v2/simulate": "c2b",
    "/mpesa/transactionstatus/v1/query": "status",
    "/mpesa/accountbalance/v1/query": "balance",
    "/mpesa/reversal/v1/request": "reversal",
}
"""Each Daraja path's family, as named in ``paths`` of ``POST /__sim__/faults``."""
FAMILIES = frozenset(API_FAMILIES.values())

MAX_SPIKE_ARREST = 1000
MAX_RESPONSE_DELAY_S = 300.0
MAX_DELAY_COUNT = 1000
_KNOWN_KEYS = frozenset(
    {"spike_arrest", "response_delay_s", "paths", "count", "early_query_pending"}
)


class InvalidFault(ValueError):
    """A ``/__sim__/faults`` body names an unknown toggle or gives one a value out of range."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class Faults:
    spike_arrest: int = 0
    """How many more authorised API calls answer 500.003.02 Spike Arrest Violation."""
    response_delay_s: float = 0.0
    """Hold each matching answer back this long (0: off)."""
    paths: frozenset[str] = frozenset()
    """API families the delay applies to; empty: every family."""
    count: int | None = None
    """How many more answers are delayed; None: every one until the faults are cleared."""
    early_query_pending: bool = False
    """STK queries answer "The transaction is being processed", even for closed prompts."""

    def to_json(self) -> dict[str, Any]:
        return {
            "spike_arrest": self.spike_arrest,
            "response_delay_s": self.response_delay_s,
            "paths": sorted(self.paths),
            "count": self.count,
            "early_query_pending": self.early_query_pending,
        }

    def take_spike_arrest(self) -> tuple[bool, Faults]:
        """Whether this call is throttled, and the faults after it."""
        if self.spike_arrest <= 0:
            return False, self
        return True, replace(self, spike_arrest=self.spike_arrest - 1)

    def take_response_delay(self, family: str) -> tuple[float, Faults]:
        """The delay for an answer of ``family`` (0: none), and the faults after it."""
        if self.response_delay_s <= 0 or (self.paths and family not in self.paths):
            return 0.0, self
        if self.count is None:
            return self.response_delay_s, self
        left = self.count - 1
        if left <= 0:
            return self.response_delay_s, replace(self, response_delay_s=0.0, count=None)
        return self.response_delay_s, replace(self, count=left)


def _whole(value: object, name: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise InvalidFault(name)
    return value


def updated(faults: Faults, body: Mapping[str, object]) -> Faults:
    """``faults`` with the toggles ``body`` sets; the toggles it does not name are kept."""
    unknown = set(body) - _KNOWN_KEYS
    if unknown:
        raise InvalidFault(sorted(unknown)[0])
    changes: dict[str, Any] = {}
    if "spike_arrest" in body:
        changes["spike_arrest"] = _whole(body["spike_arrest"], "spike_arrest", MAX_SPIKE_ARREST)
    if "response_delay_s" in body:
        delay_s = body["response_delay_s"]
        if (
            isinstance(delay_s, bool)
            or not isinstance(delay_s, int | float)
            or not math.isfinite(delay_s)
            or not 0 <= delay_s <= MAX_RESPONSE_DELAY_S
        ):
            raise InvalidFault("response_delay_s")
        changes["response_delay_s"] = float(delay_s)
    if "paths" in body:
        paths = body["paths"] if body["paths"] is not None else []
        if not isinstance(paths, list) or not all(
            isinstance(p, str) and p in FAMILIES for p in paths
        ):
            raise InvalidFault("paths")
        changes["paths"] = frozenset(paths)
    if "count" in body:
        count = body["count"]
        changes["count"] = None if count is None else _whole(count, "count", MAX_DELAY_COUNT)
        if changes["count"] == 0:
            raise InvalidFault("count")
    if "early_query_pending" in body:
        if not isinstance(body["early_query_pending"], bool):
            raise InvalidFault("early_query_pending")
        changes["early_query_pending"] = body["early_query_pending"]
    return replace(faults, **changes)


class ResponseDelay:
    """Hold an answer back by the ``response_delay_s`` fault, after the handler ran.

    The delay is taken when the answer starts, so a throttled or refused answer is delayed too.
    If the client has gone meanwhile, the server drops the answer; background callbacks still
    run (uvicorn ignores a send after a disconnect).
    """

    def __init__(
        self,
        app: ASGIApp,
        take_delay: Callable[[str], float],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        family_of: Callable[[str], str | None] = API_FAMILIES.get,
    ) -> None:
        self.app = app
        self.take_delay = take_delay
        self.sleep = sleep
        self.family_of = family_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        family = self.family_of(scope.get("path", "")) if scope["type"] == "http" else None
        if family is None:
            await self.app(scope, receive, send)
            return

        async def delayed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                delay_s = self.take_delay(family)
                if delay_s > 0:
                    await self.sleep(delay_s)
            await send(message)

        await self.app(scope, receive, delayed_send)
