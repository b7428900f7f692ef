"""The load driver of the USSD benchmark: concurrent handsets over keep-alive HTTP/1.1.

Each walker owns one connection and walks whole sessions, one after another, hop by hop as
the gateway would post them (``text`` = the inputs so far joined by ``*``), a fresh
borrower for each session: main menu, ``1`` Borrow, an amount, ``1`` confirm the
disclosure, the PIN (which checks the PIN and books the loan). Closed-loop (the next hop
leaves when the answer arrives) measures capacity, and latency at saturation; paced
(sessions start at a fixed rate, each pausing before every input as a person reading the
screen would) measures latency at a given load.

Plain asyncio streams rather than an HTTP client library: on a 2-core machine the driver
shares the CPU with the API and PostgreSQL, so its own cost per request must stay small
(the benchmark reports it). Responses are read by ``Content-Length``, which uvicorn always
sends for these endpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench import common

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
CONNECT_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 30.0
IDLE_REOPEN_S = 4.0
"""uvicorn closes a keep-alive connection idle for 5 s: a paced walker reconnects first."""


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT_S
        )

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, str]:
        if self.writer is not None and time.perf_counter() - self.last_used > IDLE_REOPEN_S:
            await self.close()
        if self.reader is None or self.writer is None:
            await self.open()
        assert self.reader is not None
        assert self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
        if body:
            head += "Content-Type: application/x-www-form-urlencoded\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode("ascii") + body)
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT_S)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        payload = await asyncio.wait_for(self.reader.readexactly(length), REQUEST_TIMEOUT_S)
        self.last_used = time.perf_counter()
        return status, payload.decode("utf-8", "replace")

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@dataclass
class Tally:
    """Latencies (ms) by hop label, and what went wrong."""

    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    unexpected: dict[str, int] = field(default_factory=dict)
    journeys_done: int = 0
    journeys_started: int = 0
    first_start: float | None = None
    last_end: float | None = None

    def record(self, label: str, started: float, ended: float) -> None:
        self.latencies_ms.setdefault(label, []).append((ended - started) * 1000)
        self.first_start = started if self.first_start is None else self.first_start
        self.last_end = ended

    def summary(self) -> dict[str, object]:
        every = [ms for values in self.latencies_ms.values() for ms in values]
        seconds = (self.last_end or 0) - (self.first_start or 0)
        by_label = {
            label: {
                "hops": len(values),
                "p50_ms": common.rounded(common.percentile(values, 50)),
                "p99_ms": common.rounded(common.percentile(values, 99)),
            }
            for label, values in self.latencies_ms.items()
        }
        return {
            "hops": len(every),
            "seconds": round(seconds, 3),
            "per_s": round(len(every) / seconds, 1) if seconds > 0 else None,
            "p50_ms": common.rounded(common.percentile(every, 50)),
            "p90_ms": common.rounded(common.percentile(every, 90)),
            "p99_ms": common.rounded(common.percentile(every, 99)),
            "max_ms": common.rounded(max(every) if every else None),
            "by_hop": by_label,
            "journeys_started": self.journeys_started,
            "journeys_done": self.journeys_done,
            "errors": self.errors,
            "unexpected_answers": self.unexpected,
        }


@dataclass(frozen=True)
class Load:
    host: str
    port: int
    walkers: int
    seconds: float
    hops: tuple[tuple[str, str, str], ...] = JOURNEY


def _form(session_id: str, phone: str, text: str) -> bytes:
    fields = {
        "sessionId": session_id,
        "serviceCode": SERVICE_CODE,
        "phoneNumber": phone,
        "networkCode": "63902",
        "text": text,
    }
    return urlencode(fields).encode()


async def _session(
    connection: Connection,
    hops: tuple[tuple[str, str, str], ...],
    phone: str,
    session_id: str,
    tally: Tally,
    think_s: float = 0.0,
    deadline: float | None = None,
) -> bool:
    """Walk one session (left at the deadline); False if the connection failed."""
    tally.journeys_started += 1
    for position, (label, text, expected) in enumerate(hops):
        if position and think_s:
            await asyncio.sleep(think_s)
        if deadline is not None and time.perf_counter() >= deadline:
            return True
        started = time.perf_counter()
        try:
            status, reply = await connection.request(
                "POST", USSD_PATH, _form(session_id, phone, text)
            )
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            tally.errors += 1
            return False
        tally.record(label, started, time.perf_counter())
        if status != 200 or not reply.startswith(expected):
            tally.unexpected[label] = tally.unexpected.get(label, 0) + 1
            return True
        if label == JOURNEY[-1][0]:
            tally.journeys_done += 1
    return True


async def _walker(
    load: Load, phones: Iterator[str], run: str, tally: Tally, deadline: float
) -> None:
    """Sessions back to back on one connection until the deadline (closed-loop)."""
    connection = Connection(load.host, load.port)
    counter = itertools.count()
    try:
        while time.perf_counter() < deadline:
            phone = next(phones, None)
            if phone is None:
                return
            session_id = f"BENCH-{run}-{phone[-8:]}-{next(counter)}"
            if not await _session(connection, load.hops, phone, session_id, tally, 0.0, deadline):
                await connection.close()
                connection = Connection(load.host, load.port)
    finally:
        await connection.close()


async def _get_loop(load: Load, tally: Tally, deadline: float) -> None:
    connection = Connection(load.host, load.port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status, _ = await connection.request("GET", "/healthz")
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                tally.errors += 1
                await connection.close()
                connection = Connection(load.host, load.port)
                continue
            tally.record("healthz", started, time.perf_counter())
            if status != 200:
                tally.unexpected["healthz"] = tally.unexpected.get("healthz", 0) + 1
    finally:
        await connection.close()


def run_journeys(load: Load, phones: Iterator[str], run: str) -> dict[str, object]:
    """Closed-loop: ``load.walkers`` handsets walk sessions back to back for ``load.seconds``."""

    async def main() -> Tally:
        tally = Tally()
        deadline = time.perf_counter() + load.seconds
        await asyncio.gather(
            *(_walker(load, phones, run, tally, deadline) for _ in range(load.walkers))
        )
        return tally

    return asyncio.run(main()).summary()


def run_paced(
    load: Load, phones: Iterator[str], run: str, sessions_per_s: float, think_s: float
) -> dict[str, object]:
    """Open-loop: a new session every ``1 / sessions_per_s`` s for ``load.seconds``, each on
    its own connection, pausing ``think_s`` before each input; the started ones finish."""

    async def one(phone: str, number: int, tally: Tally) -> None:
        connection = Connection(load.host, load.port)
        try:
            session_id = f"BENCH-{run}-{phone[-8:]}-{number}"
            await _session(connection, load.hops, phone, session_id, tally, think_s)
        finally:
            await connection.close()

    async def main() -> Tally:
        tally = Tally()
        started, sessions = time.perf_counter(), []
        while time.perf_counter() - started < load.seconds:
            phone = next(phones, None)
            if phone is None:
                break
            sessions.append(asyncio.create_task(one(phone, len(sessions), tally)))
            wake = started + len(sessions) / sessions_per_s
            await asyncio.sleep(max(0.0, wake - time.perf_counter()))
        await asyncio.gather(*sessions)
        return tally

    return asyncio.run(main()).summary()


def run_baseline(load: Load) -> dict[str, object]:
    """``GET /healthz`` on ``load.walkers`` connections, closed-loop, for ``load.seconds``."""

    async def main() -> Tally:
        tally = Tally()
        deadline = time.perf_counter() + load.seconds
        await asyncio.gather(*(_get_loop(load, tally, deadline) for _ in range(load.walkers)))
        return tally

    return asyncio.run(main()).summary()
