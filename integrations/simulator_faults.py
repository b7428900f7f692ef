"""What both payment simulators' fault toggles share (``/__sim__/faults``).

``DelayedAnswers``: answers held back AFTER the handler ran (``ResponseDelay``, an ASGI
middleware sleeping with ``asyncio.sleep``), so the payment is made even when the client gives
up on a read timeout, and no other request waits. Each simulator's ``Faults`` holds one beside
its own toggles, and names its API families.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_RESPONSE_DELAY_S = 300.0
MAX_DELAY_COUNT = 1000
DELAY_KEYS = frozenset({"response_delay_s", "paths", "count"})


class InvalidFault(ValueError):
    """A ``/__sim__/faults`` body names an unknown toggle or gives one a value out of range."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def whole(value: object, name: str, maximum: int, minimum: int = 0) -> int:
    """An int (not a bool) in ``[minimum, maximum]``; anything else is ``InvalidFault``."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidFault(name)
    return value


def seconds(value: object, name: str, maximum: float) -> float:
    """A finite number of seconds in ``[0, maximum]``; anything else is ``InvalidFault``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= maximum
    ):
        raise InvalidFault(name)
    return float(value)


def unknown_toggle(body: Mapping[str, object], known: frozenset[str]) -> None:
    unknown = set(body) - known
    if unknown:
        raise InvalidFault(sorted(unknown)[0])


@dataclass(frozen=True)
class DelayedAnswers:
    seconds: float = 0.0
    """Hold each matching answer back this long (0: off)."""
    paths: frozenset[str] = frozenset()
    """API families the delay applies to; empty: every family."""
    count: int | None = None
    """How many more answers are delayed; None: every one until the faults are cleared."""

    def to_json(self) -> dict[str, Any]:
        return {"response_delay_s": self.seconds, "paths": sorted(self.paths), "count": self.count}

    def take(self, family: str) -> tuple[float, DelayedAnswers]:
        """The delay for an answer of ``family`` (0: none), and what is left after it."""
        if self.seconds <= 0 or (self.paths and family not in self.paths):
            return 0.0, self
        if self.count is None:
            return self.seconds, self
        if self.count <= 1:
            return self.seconds, DelayedAnswers()
        return self.seconds, replace(self, count=self.count - 1)

    def updated(self, body: Mapping[str, object], families: frozenset[str]) -> DelayedAnswers:
        """These toggles as ``body`` sets them (``response_delay_s``, ``paths``, ``count``)."""
        changes: dict[str, Any] = {}
        if "response_delay_s" in body:
            changes["seconds"] = seconds(
                body["response_delay_s"], "response_delay_s", MAX_RESPONSE_DELAY_S
            )
        if "paths" in body:
            paths = body["paths"] if body["paths"] is not None else []
            if not isinstance(paths, list) or not all(
                isinstance(p, str) and p in families for p in paths
            ):
                raise InvalidFault("paths")
            changes["paths"] = frozenset(paths)
        if "count" in body:
            count = body["count"]
            changes["count"] = None if count is None else whole(count, "count", MAX_DELAY_COUNT, 1)
        return replace(self, **changes)


class ResponseDelay:
    """Hold an answer back by the delay ``take_delay`` gives its family, after the handler ran.

    The delay is taken when the answer starts, so a throttled or refused answer is delayed too.
    If the client has gone meanwhile, the server drops the answer; background callbacks still
    run (uvicorn ignores a send after a disconnect).
    """

    def __init__(
        self,
        app: ASGIApp,
        take_delay: Callable[[str], float],
        family_of: Callable[[str], str | None],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
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
