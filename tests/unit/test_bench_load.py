"""The benchmarks' HTTP load generator (bench/common/load.py) against a tiny server in the
same event loop: every answer read whole by its Content-Length, however it arrives; each
kind of failure counted, never raised out of the run."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from bench.common import load

OK = b'HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"status":"ok"}'
Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]


async def answer_ok(_head: bytes, writer: asyncio.StreamWriter) -> None:
    writer.write(OK)


async def answer_in_pieces(_head: bytes, writer: asyncio.StreamWriter) -> None:
    for piece in (OK[:10], OK[10:40], OK[40:]):  # head split, head and body apart
        writer.write(piece)
        await writer.drain()
        await asyncio.sleep(0.001)


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[int]:
    """A keep-alive HTTP/1.1 server on a free loopback port, ``handler`` answering each
    request; every connection it accepted is closed on the way out."""
    writers: list[asyncio.StreamWriter] = []

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                await reader.readexactly(length)
                await handler(head, writer)

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()
        await asyncio.sleep(0.01)  # let the handlers see their connections close


def closed_loop_on(handler: Handler, answered: Callable[[load.Answer], bool]) -> load.Tally:
    async def main() -> load.Tally:
        async with serving(handler) as port:
            request = load.Request("POST", "/c2b", b'{"TransID":"C1"}', "application/json")
            return await load.closed_loop(
                "127.0.0.1", port, 4, 0.3, lambda _n: request, load.Tally(), "c2b", answered
            )

    return load.run(main())


@pytest.mark.parametrize("handler", [answer_ok, answer_in_pieces])
def test_four_connections_for_a_third_of_a_second_read_every_answer_whole(
    handler: Handler,
) -> None:
    tally = closed_loop_on(handler, lambda answer: answer.body == b'{"status":"ok"}')
    answered = len(tally.latencies_ms["c2b"])
    assert answered > 10
    assert tally.sent == answered  # each connection finishes its last request
    assert not tally.errors
    assert not tally.unexpected
    assert tally.bytes_received == answered * len(OK)


def test_answers_the_check_refuses_are_counted_as_unexpected_not_errors() -> None:
    tally = closed_loop_on(answer_ok, lambda answer: answer.status == 201)
    assert tally.unexpected["c2b"] == len(tally.latencies_ms["c2b"]) > 0
    assert not tally.errors


def test_a_closed_port_counts_connect_errors() -> None:
    async def main() -> load.Tally:
        async with serving(answer_ok) as port:
            pass  # closed: nothing listens on the port any more
        tally = load.Tally()
        connection = load.Connection("127.0.0.1", port)
        for _ in range(3):
            assert await load.one_request(connection, load.Request("GET", "/"), tally, "x") is None
        return tally

    tally = load.run(main())
    assert tally.errors == {"connect": 3}
    assert tally.sent == 3
    assert not tally.latencies_ms


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (b"", "timeout"),  # the server never answers
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "read"),  # no length
    ],
)
def test_a_request_without_a_readable_answer_counts_its_kind_and_reconnects(
    reply: bytes, kind: str
) -> None:
    async def silent_or_chunked(_head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(reply)

    async def main() -> load.Tally:
        async with serving(silent_or_chunked) as port:
            tally = load.Tally()
            connection = load.Connection("127.0.0.1", port, timeout_s=0.1)
            for _ in range(2):
                await load.one_request(connection, load.Request("GET", "/"), tally, "x")
            return tally

    tally = load.run(main())
    assert tally.errors == {kind: 2}


def test_latency_figures_are_milliseconds_rounded_with_the_quantiles() -> None:
    figures = load.latency_figures([float(ms) for ms in range(1, 101)])
    assert figures["min"] == 1.0
    assert figures["max"] == 100.0
    assert figures["mean"] == 50.5
    assert figures["p50"] == 50.5
    assert figures["p99"] == 99.01
    assert load.latency_figures([])["p99"] is None
