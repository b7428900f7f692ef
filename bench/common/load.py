"""The HTTP load generator of the HTTP benchmarks: keep-alive HTTP/1.1 connections driven
from this process by asyncio (uvloop when installed), closed-loop by default.

Why not ``wrk``: it is a C program that a fresh machine does not have, and the benchmarks
must run from their make target alone. Why not an HTTP client library: on a 2-core machine
the generator shares the CPU with the API and PostgreSQL, so its own cost per request must
stay small (the benchmarks report it as the ``driver`` group). A connection is a bare
``asyncio.Protocol``: one request at a time, the answer read by its ``Content-Length``
(which uvicorn always sends), a timeout per request as a timer handle rather than a task.
docs/performance.md compares its throughput with wrk's on the same endpoint.

Closed loop: each connection sends its next request when the previous answer arrives, so
throughput is capacity and latency is latency at saturation. Errors are counted by kind
(``connect``, ``read``, ``write``, ``timeout``); a connection that failed is replaced.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from bench.common.measure import percentile, rounded

CONNECT_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 30.0
IDLE_REOPEN_S = 4.0
"""uvicorn closes a keep-alive connection idle for 5 s: reconnect before that."""
QUANTILES = {"p50": 50, "p75": 75, "p90": 90, "p99": 99, "p999": 99.9}
T = TypeVar("T")


class LoadError(Exception):
    """A request that got no answer; ``kind`` is connect, read, write or timeout."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    content_type: str | None = None


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class _Exchange(asyncio.Protocol):
    """Bytes in and out of one connection; resolves ``waiter`` with each whole answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Answer] | None = None
        self.received = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.received += len(data)
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        try:
            status, length = _parse_head(bytes(self.buffer[:head_end]))
        except ValueError as exc:
            waiter.set_exception(LoadError("read", str(exc)))
            return
        end = head_end + 4 + length
        if len(self.buffer) >= end:
            body = bytes(self.buffer[head_end + 4 : end])
            del self.buffer[:end]
            waiter.set_result(Answer(status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(LoadError("read", "connection closed"))


def _parse_head(head: bytes) -> tuple[int, int]:
    """The status and the Content-Length of an answer's head."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return status, int(value)
    raise ValueError("answer without Content-Length")


class Connection:
    """One keep-alive HTTP/1.1 connection, opened on first use, one request at a time."""

    def __init__(self, host: str, port: int, timeout_s: float = REQUEST_TIMEOUT_S) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._exchange: _Exchange | None = None
        self._last_used = 0.0

    @property
    def bytes_received(self) -> int:
        return self._exchange.received if self._exchange else 0

    async def _open(self) -> _Exchange:
        loop = asyncio.get_running_loop()
        try:
            _, exchange = await asyncio.wait_for(
                loop.create_connection(_Exchange, self.host, self.port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError) as exc:
            raise LoadError("connect", str(exc)) from exc
        return exchange

    async def request(self, request: Request) -> Answer:
        exchange = self._exchange
        if exchange is not None and (
            exchange.transport is None or time.perf_counter() - self._last_used > IDLE_REOPEN_S
        ):
            self.close()
            exchange = None
        if exchange is None:
            exchange = self._exchange = await self._open()
        head = f"{request.method} {request.path} HTTP/1.1\r\nHost: {self.host}\r\n"
        if request.content_type:
            head += f"Content-Type: {request.content_type}\r\n"
        head += f"Content-Length: {len(request.body)}\r\n\r\n"
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Answer] = loop.create_future()
        exchange.waiter = waiter
        if exchange.transport is None or exchange.transport.is_closing():
            raise LoadError("write", "connection closing")
        exchange.transport.write(head.encode("ascii") + request.body)
        timer = loop.call_later(self.timeout_s, _expire, waiter)
        try:
            answer = await waiter
        finally:
            timer.cancel()
        self._last_used = time.perf_counter()
        return answer

    def close(self) -> None:
        exchange, self._exchange = self._exchange, None
        if exchange is not None and exchange.transport is not None:
            exchange.transport.close()


def _expire(waiter: asyncio.Future[Answer]) -> None:
    if not waiter.done():
        waiter.set_exception(LoadError("timeout"))


@dataclass
class Tally:
    """Latencies (ms) by label, requests that got no answer by kind, wrong answers by label."""

    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    unexpected: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    bytes_received: int = 0
    first_start: float | None = None
    last_end: float | None = None

    def record(self, label: str, started: float, ended: float) -> None:
        self.latencies_ms.setdefault(label, []).append((ended - started) * 1000)
        self.first_start = started if self.first_start is None else self.first_start
        self.last_end = ended

    def wrong(self, label: str) -> None:
        self.unexpected[label] = self.unexpected.get(label, 0) + 1

    def every(self) -> list[float]:
        return [ms for values in self.latencies_ms.values() for ms in values]

    @property
    def seconds(self) -> float:
        return (self.last_end or 0.0) - (self.first_start or 0.0)

    def per_s(self) -> float | None:
        seconds = self.seconds
        return round(len(self.every()) / seconds, 1) if seconds > 0 else None


def latency_figures(values: list[float], quantiles: dict[str, float] = QUANTILES) -> dict[str, Any]:
    """min, mean, max and the quantiles of latencies in ms, rounded to 0.01 ms."""
    return {
        "min": rounded(min(values) if values else None),
        "mean": rounded(sum(values) / len(values) if values else None),
        "max": rounded(max(values) if values else None),
        **{name: rounded(percentile(values, pct)) for name, pct in quantiles.items()},
    }


async def one_request(
    connection: Connection, request: Request, tally: Tally, label: str
) -> Answer | None:
    """Send ``request``, record its latency under ``label``; None (counted) when no answer."""
    tally.sent += 1
    started = time.perf_counter()
    try:
        answer = await connection.request(request)
    except LoadError as error:
        tally.errors[error.kind] += 1
        connection.close()
        return None
    tally.record(label, started, time.perf_counter())
    return answer


async def closed_loop(
    host: str,
    port: int,
    connections: int,
    seconds: float,
    request_for: Callable[[int], Request],
    tally: Tally,
    label: str = "request",
    answered: Callable[[Answer], bool] = lambda answer: answer.status == 200,
) -> Tally:
    """``connections`` connections, each sending ``request_for(n)`` (n counts every request
    of the run) as soon as its previous answer arrived, until ``seconds`` have passed; the
    answers ``answered`` refuses are counted as unexpected (in ``tally``, returned)."""
    numbers = itertools.count()
    deadline = time.perf_counter() + seconds

    async def one_connection() -> None:
        connection = Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                answer = await one_request(connection, request_for(next(numbers)), tally, label)
                if answer is not None and not answered(answer):
                    tally.wrong(label)
        finally:
            tally.bytes_received += connection.bytes_received
            connection.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return tally


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on a fresh event loop, uvloop's when it is installed."""
    try:
        import uvloop  # noqa: PLC0415 (optional: the standard loop works, only slower)

        factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def get_figures(url: str, connections: int, seconds: float) -> dict[str, Any]:
    """Closed-loop GETs of ``url``: requests/s and latency in ms (as the CLI prints them)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = Request("GET", parts.path or "/")
    tally = run(closed_loop(host, port, connections, seconds, lambda _n: request, Tally()))
    return {
        "url": url,
        "connections": connections,
        "requests": len(tally.every()),
        "seconds": round(tally.seconds, 3),
        "rps": tally.per_s(),
        "latency_ms": latency_figures(tally.every()),
        "errors": dict(tally.errors),
        "unexpected": tally.unexpected,
    }


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.common.load URL``: GET it closed-loop, print the figures as JSON
    (to compare the generator with wrk on the same endpoint)."""
    parser = argparse.ArgumentParser(prog="python -m bench.common.load", description=main.__doc__)
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    print(json.dumps(get_figures(args.url, args.connections, args.seconds), indent=2))


if __name__ == "__main__":
    main()
