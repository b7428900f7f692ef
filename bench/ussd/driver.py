"""The handsets of the USSD benchmark: sessions walking the borrow journey over keep-alive
HTTP/1.1 (``bench.common.load``).

Each walker owns one connection and walks whole sessions, one after another, hop by hop as
the gateway would post them (``text`` = the inputs so far joined by ``*``), a fresh
borrower for each session: main menu, ``1`` Borrow, an amount, ``1`` confirm the
disclosure, the PIN (which checks the PIN and books the loan). Closed-loop (the next hop
leaves when the answer arrives) measures capacity, and latency at saturation; paced
(sessions start at a fixed rate, each pausing before every input as a person reading the
screen would) measures latency at a given load.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bench.common import load
from bench.common.measure import percentile, rounded

USSD_PATH = "/ussd/africastalking"
SERVICE_CODE = "*384*44135#"
AMOUNT_KES = 500
PIN = "2580"
JOURNEY: tuple[tuple[str, str, str], ...] = (
    # (label, text, what a right answer starts with)
    ("menu", "", "CON Mkopo\n1. Borrow"),
    ("borrow", "1", "CON Your limit is"),
    ("amount", f"1*{AMOUNT_KES}", f"CON Borrow KES {AMOUNT_KES}.00"),
    ("confirm", f"1*{AMOUNT_KES}*1", "CON Enter your Mkopo PIN"),
    ("pin_and_loan", f"1*{AMOUNT_KES}*1*{PIN}", "END Done."),
)
BROWSE = JOURNEY[:-1]
"""The hops before the PIN: menus, a quote, no KDF and no booking (the session is left)."""


@dataclass
class Walk(load.Tally):
    journeys_done: int = 0
    journeys_started: int = 0

    def summary(self) -> dict[str, Any]:
        every = self.every()
        by_label = {
            label: {
                "hops": len(values),
                "p50_ms": rounded(percentile(values, 50)),
                "p99_ms": rounded(percentile(values, 99)),
            }
            for label, values in self.latencies_ms.items()
        }
        return {
            "hops": len(every),
            "seconds": round(self.seconds, 3),
            "per_s": self.per_s(),
            "p50_ms": rounded(percentile(every, 50)),
            "p90_ms": rounded(percentile(every, 90)),
            "p99_ms": rounded(percentile(every, 99)),
            "max_ms": rounded(max(every) if every else None),
            "by_hop": by_label,
            "journeys_started": self.journeys_started,
            "journeys_done": self.journeys_done,
            "errors": sum(self.errors.values()),
            "unexpected_answers": self.unexpected,
        }


@dataclass(frozen=True)
class Load:
    host: str
    port: int
    walkers: int
    seconds: float
    hops: tuple[tuple[str, str, str], ...] = field(default=JOURNEY)


def _hop(session_id: str, phone: str, text: str) -> load.Request:
    fields = {
        "sessionId": session_id,
        "serviceCode": SERVICE_CODE,
        "phoneNumber": phone,
        "networkCode": "63902",
        "text": text,
    }
    body = urlencode(fields).encode()
    return load.Request("POST", USSD_PATH, body, "application/x-www-form-urlencoded")


async def _session(
    connection: load.Connection,
    hops: tuple[tuple[str, str, str], ...],
    phone: str,
    session_id: str,
    walk: Walk,
    think_s: float = 0.0,
    deadline: float | None = None,
) -> bool:
    """Walk one session (left at the deadline); False if the connection failed."""
    walk.journeys_started += 1
    for position, (label, text, expected) in enumerate(hops):
        if position and think_s:
            await asyncio.sleep(think_s)
        if deadline is not None and time.perf_counter() >= deadline:
            return True
        answer = await load.one_request(connection, _hop(session_id, phone, text), walk, label)
        if answer is None:
            return False
        if answer.status != 200 or not answer.body.decode("utf-8", "replace").startswith(expected):
            walk.wrong(label)
            return True
        if label == JOURNEY[-1][0]:
            walk.journeys_done += 1
    return True


async def _walker(spec: Load, phones: Iterator[str], run: str, walk: Walk, deadline: float) -> None:
    """Sessions back to back on one connection until the deadline (closed-loop)."""
    connection = load.Connection(spec.host, spec.port)
    counter = itertools.count()
    try:
        while time.perf_counter() < deadline:
            phone = next(phones, None)
            if phone is None:
                return
            session_id = f"BENCH-{run}-{phone[-8:]}-{next(counter)}"
            await _session(connection, spec.hops, phone, session_id, walk, 0.0, deadline)
    finally:
        connection.close()


def run_journeys(spec: Load, phones: Iterator[str], run: str) -> dict[str, Any]:
    """Closed-loop: ``spec.walkers`` handsets walk sessions back to back for ``spec.seconds``."""

    async def main() -> Walk:
        walk = Walk()
        deadline = time.perf_counter() + spec.seconds
        await asyncio.gather(
            *(_walker(spec, phones, run, walk, deadline) for _ in range(spec.walkers))
        )
        return walk

    return load.run(main()).summary()


def run_paced(
    spec: Load, phones: Iterator[str], run: str, sessions_per_s: float, think_s: float
) -> dict[str, Any]:
    """Open-loop: a new session every ``1 / sessions_per_s`` s for ``spec.seconds``, each on
    its own connection, pausing ``think_s`` before each input; the started ones finish."""

    async def one(phone: str, number: int, walk: Walk) -> None:
        connection = load.Connection(spec.host, spec.port)
        try:
            session_id = f"BENCH-{run}-{phone[-8:]}-{number}"
            await _session(connection, spec.hops, phone, session_id, walk, think_s)
        finally:
            connection.close()

    async def main() -> Walk:
        walk = Walk()
        sessions: list[asyncio.Task[None]] = []
        started = time.perf_counter()
        while time.perf_counter() - started < spec.seconds:
            phone = next(phones, None)
            if phone is None:
                break
            sessions.append(asyncio.create_task(one(phone, len(sessions), walk)))
            wake = started + len(sessions) / sessions_per_s
            await asyncio.sleep(max(0.0, wake - time.perf_counter()))
        await asyncio.gather(*sessions)
        return walk

    return load.run(main()).summary()


def run_baseline(spec: Load) -> dict[str, Any]:
    """``GET /healthz`` on ``spec.walkers`` connections, closed-loop, for ``spec.seconds``."""
    request, walk = load.Request("GET", "/healthz"), Walk()
    load.run(
        load.closed_loop(
            spec.host, spec.port, spec.walkers, spec.seconds, lambda _n: request, walk, "healthz"
        )
    )
    return walk.summary()
