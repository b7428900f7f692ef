"""The embedded broker is prepared once, before anything consumes from it or sends to it:
its tables and the deployment's queue row exist afterwards, however many processes prepare
it at the same instant; a consumer and a producer then find them and never create them."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from kombu import Connection
from sqlalchemy import create_engine, inspect, text

from app.tasks.broker import prepare_broker

QUEUE = "mkopo-test"


def queue_rows(path: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert {"kombu_queue", "kombu_message"} <= set(inspect(connection).get_table_names())
            return list(connection.execute(text("SELECT name FROM kombu_queue")).scalars())
    finally:
        engine.dispose()


def _prepare_together(url: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    barrier.wait()
    prepare_broker(url, QUEUE)


@pytest.mark.slow  # eight spawned processes: 11 s
def test_eight_processes_preparing_a_fresh_broker_at_once_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite3"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(8)
    processes = [
        context.Process(target=_prepare_together, args=(f"sqla+sqlite:///{path}", barrier))
        for _ in range(8)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0] * 8
    assert queue_rows(path) == [QUEUE]


def test_a_prepared_broker_carries_a_message_from_a_producer_to_a_consumer(
    tmp_path: Path,
) -> None:
    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    prepare_broker(url, QUEUE)
    prepare_broker(url, QUEUE)  # again, as every worker start does: nothing changes
    with Connection(url) as connection:
        connection.SimpleQueue(QUEUE).put({"task": "ping"})
        message = connection.SimpleQueue(QUEUE).get(timeout=5)
        message.ack()
    assert message.payload == {"task": "ping"}
    assert queue_rows(tmp_path / "broker.sqlite3") == [QUEUE]


def test_redis_and_rabbitmq_need_no_preparing() -> None:
    for url in ("redis://127.0.0.1:1/0", "amqp://guest:guest@127.0.0.1:1//"):
        prepare_broker(url, QUEUE)  # no connection is made: nothing answers on port 1
