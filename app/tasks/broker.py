"""The Celery broker, made ready before any process uses it.

The embedded broker (kombu's SQLAlchemy transport on an SQLite file) creates its tables and
its queue row on first use, in whichever process gets there first. A worker with its
built-in scheduler starts two such processes at once (the consumer and beat), and the one
that loses the race fails: "table kombu_message already exists", or a UNIQUE failure on
``kombu_queue``; then either the worker exits or beat never sends again. ``prepare_broker``
does that creation once, under an exclusive lock on a file beside the broker's, before
either starts (``mkopo migrate``, ``mkopo worker``, and the API's first hand-over).

Invariant: once ``prepare_broker`` has returned, the broker's tables and the deployment's
queue row exist, so no process creates them again, let alone two at once. Redis and
RabbitMQ declare queues atomically themselves: for them it does nothing.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import NullPool

EMBEDDED_SCHEME = "sqla+"
PREPARE_ATTEMPTS = 5
RETRY_PAUSE_S = 0.2
EMBEDDED_TRANSPORT_OPTIONS: dict[str, Any] = {"poolclass": NullPool}
"""kombu keeps one engine per broker URL for the whole process, and a worker forks its pool
and its beat after preparing the broker: without a pool no SQLite connection is ever shared
across a fork."""
log = structlog.get_logger("mkopo.broker")


class BrokerNotReady(RuntimeError):
    """The embedded broker's tables or queue could not be created."""


def is_embedded(broker_url: str) -> bool:
    return broker_url.startswith(EMBEDDED_SCHEME)


def prepare_broker(broker_url: str, queue: str) -> None:
    """Create the embedded broker's tables and ``queue`` once (nothing for Redis, RabbitMQ)."""
    if not is_embedded(broker_url):
        return
    database_url = broker_url.removeprefix(EMBEDDED_SCHEME)
    with _exclusive(database_url):
        for attempt in range(1, PREPARE_ATTEMPTS + 1):
            try:
                _declare(broker_url, queue)
                if _queue_exists(database_url, queue):
                    return
            except (OperationalError, IntegrityError) as exc:
                # A process that does not take the lock (an API started before this
                # release) created them meanwhile: look again.
                log.warning("broker_prepare_retry", attempt=attempt, error=str(exc)[:200])
            time.sleep(RETRY_PAUSE_S * attempt)
    raise BrokerNotReady(f"the broker's queue {queue!r} could not be created")


def _declare(broker_url: str, queue: str) -> None:
    # kombu's entities carry no annotations.
    with Connection(broker_url, transport_options=EMBEDDED_TRANSPORT_OPTIONS) as connection:  # type: ignore[no-untyped-call]
        declared = Queue(queue, Exchange(queue), queue)  # type: ignore[no-untyped-call]
        declared.bind(connection.default_channel).declare()  # type: ignore[no-untyped-call]


def _queue_exists(database_url: str, queue: str) -> bool:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM kombu_queue WHERE name = :name"), {"name": queue}
            ).scalar_one()
    finally:
        engine.dispose()
    return bool(found)


@contextmanager
def _exclusive(database_url: str) -> Iterator[None]:
    """An exclusive lock on ``<broker file>.lock`` (SQLite); other databases need none, as
    the retries above absorb a concurrent creation."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    lock_path = Path(f"{url.database}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
