"""Twenty fresh starts in a row of the embedded setup's worker, its scheduler built in, each
on a fresh broker file; the beat schedule file is kept from start to start, so beat sends
its overdue tasks the moment it starts, while the consumer is starting too (the race of
`make run` on a new clone). Every start must create the broker's tables once and lose no
race: it applies a stored M-Pesa callback on a beat tick, runs a task the API hands over
through the broker, logs no lost race, and stops cleanly (exit 0) on SIGTERM."""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounting.chart import open_chart
from app.accounting.keys import write_new_key
from app.clock import system_clock
from app.db.engine import make_database
from app.db.session import Sessions
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.models import MpesaCallback, UnmatchedReceipt
from app.security.fields import generate_field_keys_file
from app.settings import Settings
from app.tasks import refs
from app.tasks.models import TaskHeartbeat
from app.tasks.queue import CeleryTaskQueue
from ledger import Ledger
from tests.integration.test_mpesa_processing import c2b
from tests.support.databases import SqliteFactory
from tests.support.live_processes import MkopoProcess, wait_until

STARTS = 20
START_TIMEOUT_S = 60
LOST_RACE_SIGNS = (
    "already exists",
    "UNIQUE constraint failed",
    "Connection to broker lost",
    "beat_died",
    "heartbeat_not_recorded",
)


def runs_of(sessions: Sessions, task: str) -> int:
    with sessions.reader() as session:
        row = session.get(TaskHeartbeat, task)
        return 0 if row is None or row.last_finished_at is None else row.runs_total


def applied(sessions: Sessions, receipt: str) -> bool:
    with sessions.reader() as session:
        held = session.scalar(select(UnmatchedReceipt).where(UnmatchedReceipt.receipt == receipt))
        status = session.scalar(
            select(MpesaCallback.status).where(MpesaCallback.natural_key == receipt)
        )
    return held is not None and status == "processed"


@pytest.mark.slow
def test_twenty_fresh_starts_each_apply_a_callback_on_a_beat_tick_and_run_a_task(
    sqlite_factory: SqliteFactory, tmp_path: Path
) -> None:
    _name, database_url = sqlite_factory.create()
    generate_field_keys_file(tmp_path / "field-keys.json")
    write_new_key(tmp_path / "ledger.pem")
    env = {
        **os.environ,
        "MKOPO_DATABASE_URL": database_url,
        "MKOPO_PAYMENT_PROVIDER": "memory",
        "MKOPO_CALLBACKS_INTERVAL_S": "0.5",
        "MKOPO_FIELD_KEYS_PATH": str(tmp_path / "field-keys.json"),
        "MKOPO_LEDGER_SIGNING_KEY_PATH": str(tmp_path / "ledger.pem"),
        "MKOPO_LOG_JSON": "true",
    }
    database = make_database(Settings(database_url=database_url))
    sessions = Sessions(database)
    with sessions.unit_of_work() as session:
        open_chart(Ledger(session, system_clock))
    try:
        figures = [one_start(start, sessions, tmp_path, env) for start in range(1, STARTS + 1)]
    finally:
        database.dispose()
    print(  # the figures the report quotes (pytest -s)
        f"\n{STARTS} starts: callback, beat tick and task in "
        f"min {min(figures):.1f} s, median {statistics.median(figures):.1f} s, "
        f"max {max(figures):.1f} s"
    )


def one_start(start: int, sessions: Sessions, root: Path, env: dict[str, str]) -> float:
    """Start the worker on a fresh broker file; the seconds until it had done everything."""
    broker_url = f"sqla+sqlite:///{root / f'broker-{start}.sqlite3'}"
    receipt = f"TSTART{start:04d}"
    with sessions.unit_of_work() as session:  # as the API stores a callback
        body = json.dumps(c2b("NOSUCHLOAN", "10.00", receipt)).encode()
        delivery = Delivery("c2b/confirmation", body, "127.0.0.1")
        store_callback(session, delivery, system_clock(), None)
    ticks = runs_of(sessions, "mpesa.process_callbacks")
    handed = runs_of(sessions, "ussd.purge_sessions")
    worker = MkopoProcess(
        f"worker-{start}",
        ["worker", "--concurrency", "1"],
        root,
        {**env, "MKOPO_BROKER_URL": broker_url},
    )
    began = time.monotonic()
    worker.start()
    try:
        wait_until(
            lambda: (
                not worker.alive()
                or (
                    applied(sessions, receipt)
                    and runs_of(sessions, "mpesa.process_callbacks") > ticks
                )
            ),
            START_TIMEOUT_S,
            f"start {start}: a beat tick applied the callback",
        )
        assert worker.alive(), worker.log_tail()
        settings = Settings(database_url=env["MKOPO_DATABASE_URL"], broker_url=broker_url)
        CeleryTaskQueue(settings).send(refs.PURGE_USSD_SESSIONS)  # as the API hands work over
        wait_until(
            lambda: runs_of(sessions, "ussd.purge_sessions") > handed,
            START_TIMEOUT_S,
            f"start {start}: the handed-over task ran\n{worker.log_tail()}",
        )
        took_s = time.monotonic() - began
    finally:
        status = worker.stop(timeout_s=30)
    log = worker.log()
    assert [sign for sign in LOST_RACE_SIGNS if sign in log] == [], worker.log_tail()
    assert status == 0, f"start {start} exited {status}\n{worker.log_tail()}"
    return took_s
