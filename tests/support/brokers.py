"""The production brokers for tests: Redis and RabbitMQ on this machine.

Each is found at ``MKOPO_TEST_REDIS_URL`` / ``MKOPO_TEST_RABBITMQ_URL`` or on its usual
loopback port. Tests share the servers with anyone else using them, so every test stack
sends its tasks through a queue of its own (``fresh_queue``) and deletes it afterwards
(``drop_queue``): no test ever consumes another's tasks.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit

from kombu import Connection, Exchange, Queue

CANDIDATES = {
    "redis": ("MKOPO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": ("MKOPO_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}
DEFAULT_PORTS = {"redis": 6379, "rabbitmq": 5672}
GREETINGS = {
    "redis": (b"PING\r\n", b"+PONG"),
    # The AMQP 0-9-1 protocol header; a server answers with a Connection.Start method frame.
    "rabbitmq": (b"AMQP\x00\x00\x09\x01", b"\x01\x00\x00"),
}
CONNECT_TIMEOUT_S = 3


def find_broker(kind: str) -> str | None:
    """The URL of a reachable ``kind`` broker ("redis" or "rabbitmq"), or None.

    The server is asked over a bare socket, so a missing client library is a failing test,
    never a skipped one."""
    variable, default = CANDIDATES[kind]
    url = os.environ.get(variable) or default
    parts = urlsplit(url)
    greeting, answer = GREETINGS[kind]
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or DEFAULT_PORTS[kind]), CONNECT_TIMEOUT_S
        ) as probe:
            probe.sendall(greeting)
            return url if probe.recv(16).startswith(answer) else None
    except OSError:
        return None


def fresh_queue() -> str:
    return f"mkopo-test-{uuid.uuid4().hex[:12]}"


def drop_queue(url: str, name: str) -> None:
    """Delete a test's queue and whatever is left in it."""
    with Connection(url, connect_timeout=CONNECT_TIMEOUT_S) as connection:
        Queue(name, Exchange(name), name).bind(connection.default_channel).delete()
