"""The heartbeats of the periodic tasks, written through Celery's own signals as a worker
and beat send them: beat's start marks every task watched; each run of a scheduled task
records its start, end, duration and outcome; failures count in a row and in all, and a
success ends the row; other tasks leave no mark; a heartbeat that cannot be written never
fails the task; two workers finishing at once both count."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta

import pytest
from celery.signals import beat_init, task_postrun, task_prerun
from sqlalchemy import select

import app.worker  # noqa: F401  (installs the hooks, as the worker does)
from app.db.session import Sessions
from app.settings import Settings
from app.tasks import heartbeats, hooks
from app.tasks.models import TaskHeartbeat
from app.tasks.schedule import periodic_tasks
from tests.support.clock import FrozenClock


@dataclass(frozen=True)
class FakeTask:
    name: str


SEAL = FakeTask("accounting.seal_ledger")


@dataclass(frozen=True)
class WorkerRuntime:
    sessions: Sessions
    clock: FrozenClock


@pytest.fixture
def worker_runtime(
    sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> WorkerRuntime:
    rt = WorkerRuntime(sessions, clock)
    monkeypatch.setattr(hooks, "_runtime", lambda: rt)
    return rt


def run(task: FakeTask, clock: FrozenClock, error: Exception | None = None) -> None:
    """One run as Celery's tracer signals it, taking 2 s of the test's clock."""
    task_id = f"id-{clock().timestamp()}"
    task_prerun.send(sender=task, task_id=task_id, task=task, args=(), kwargs={})
    clock.advance(seconds=2)
    task_postrun.send(
        sender=task,
        task_id=task_id,
        task=task,
        args=(),
        kwargs={},
        retval=error,
        state="FAILURE" if error is not None else "SUCCESS",
    )


def heartbeat(sessions: Sessions, task: str) -> TaskHeartbeat | None:
    with sessions.reader() as session:
        return session.get(TaskHeartbeat, task)


def test_beat_starting_marks_every_scheduled_task_watched(
    worker_runtime: WorkerRuntime, clock: FrozenClock
) -> None:
    beat_init.send(sender=None)
    with worker_runtime.sessions.reader() as session:
        rows = session.scalars(select(TaskHeartbeat)).all()
    assert {row.task for row in rows} == {t.task for t in periodic_tasks(Settings())}
    assert {row.watched_since for row in rows} == {clock()}
    assert {row.last_started_at for row in rows} == {None}


def test_failures_count_in_a_row_and_in_all_and_a_success_ends_the_row(
    worker_runtime: WorkerRuntime, clock: FrozenClock
) -> None:
    sessions = worker_runtime.sessions
    run(SEAL, clock)
    for _ in range(2):
        run(SEAL, clock, FileNotFoundError("var/keys/ledger.pem"))
    failing = heartbeat(sessions, SEAL.name)
    assert failing is not None
    assert (failing.runs_total, failing.failures_total, failing.failures_consecutive) == (3, 2, 2)
    assert (failing.last_outcome, failing.last_error) == ("failed", "FileNotFoundError")
    assert failing.last_started_at == clock() - timedelta(seconds=2)
    assert failing.last_finished_at == clock()
    run(SEAL, clock)
    healed = heartbeat(sessions, SEAL.name)
    assert healed is not None
    assert (healed.runs_total, healed.failures_total, healed.failures_consecutive) == (4, 2, 0)
    assert healed.last_outcome == "ok"
    assert healed.last_error == "FileNotFoundError"  # what the last failure was
    assert healed.last_duration_ms is not None
    assert healed.last_duration_ms >= 0


def test_a_task_that_is_not_periodic_leaves_no_heartbeat(
    worker_runtime: WorkerRuntime, clock: FrozenClock
) -> None:
    run(FakeTask("payments.submit_payout"), clock)
    assert heartbeat(worker_runtime.sessions, "payments.submit_payout") is None


def test_a_heartbeat_that_cannot_be_written_never_fails_the_task(
    clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_database() -> WorkerRuntime:
        raise OSError("the database is down")

    monkeypatch.setattr(hooks, "_runtime", no_database)
    run(SEAL, clock)  # logged, not raised


def test_two_workers_finishing_the_same_task_at_once_both_count(
    sessions: Sessions, clock: FrozenClock
) -> None:
    workers = 8
    barrier = threading.Barrier(workers)

    def finish(failed: bool) -> None:
        barrier.wait()
        with sessions.unit_of_work() as session:
            heartbeats.run_finished(
                session, SEAL.name, clock(), 10, "ValueError" if failed else None
            )

    threads = [threading.Thread(target=finish, args=(n % 2 == 0,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counted = heartbeat(sessions, SEAL.name)
    assert counted is not None
    assert (counted.runs_total, counted.failures_total) == (workers, workers // 2)
