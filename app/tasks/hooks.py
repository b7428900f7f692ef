"""Celery's side of the scheduler's liveness: heartbeats written by the worker and by beat,
and a watch that stops the worker when its embedded beat dies.

- When beat starts (embedded or ``--beat-only``) it marks every scheduled task watched.
- When a worker runs a scheduled task it records the start, then the end with its duration
  and outcome, each in a transaction of its own. A heartbeat that cannot be written is
  logged and never fails the task.
- ``mkopo worker`` with its scheduler built in exits with ``EXIT_BEAT_DIED`` when that
  scheduler's process dies, so a supervisor restarts the pair instead of leaving a worker
  that no longer schedules anything.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import structlog
from celery import Celery, bootsteps
from celery.signals import beat_init, task_postrun, task_prerun
from celery.worker import state as worker_state
from sqlalchemy.orm import Session

from app.clock import Clock
from app.db.session import Sessions
from app.tasks import heartbeats
from app.tasks.schedule import PeriodicTask

EXIT_BEAT_DIED = 3
BEAT_WATCH_INTERVAL_S = 1.0
log = structlog.get_logger("mkopo.operations")


class HeartbeatRuntime(Protocol):
    @property
    def sessions(self) -> Sessions: ...

    @property
    def clock(self) -> Clock: ...


def _no_runtime() -> HeartbeatRuntime:
    raise RuntimeError("app.tasks.hooks.install was not called")


_runtime: Callable[[], HeartbeatRuntime] = _no_runtime
_scheduled: frozenset[str] = frozenset()
_runs: dict[str, float] = {}
"""Task id -> monotonic start, in the process that runs it."""


def install(
    celery: Celery,
    schedule: tuple[PeriodicTask, ...],
    runtime: Callable[[], HeartbeatRuntime],
) -> None:
    """Wire the heartbeats and the beat watch into ``celery`` (the worker's app); ``runtime``
    gives the process's sessions and clock, built on first use after any fork."""
    global _scheduled, _runtime  # noqa: PLW0603  (one schedule per process: the worker's)
    _scheduled = frozenset(t.task for t in schedule)
    _runtime = runtime
    beat_init.connect(_beat_started, weak=False, dispatch_uid="mkopo.beat_started")
    task_prerun.connect(_run_started, weak=False, dispatch_uid="mkopo.run_started")
    task_postrun.connect(_run_finished, weak=False, dispatch_uid="mkopo.run_finished")
    celery.steps["worker"].add(BeatWatch)


def _beat_started(**_: Any) -> None:
    log.info("beat_started", pid=os.getpid(), tasks=len(_scheduled))
    _write("beat", lambda session, now: heartbeats.watch(session, _scheduled, now))


def _run_started(task_id: str, task: Any, **_: Any) -> None:
    if task.name not in _scheduled:
        return
    _runs[task_id] = time.monotonic()
    _write(task.name, lambda session, now: heartbeats.run_started(session, task.name, now))


def _run_finished(task_id: str, task: Any, retval: Any = None, state: str = "", **_: Any) -> None:
    started = _runs.pop(task_id, None)
    if task.name not in _scheduled or started is None:
        return
    duration_ms = round((time.monotonic() - started) * 1000)
    error = type(retval).__name__ if state == "FAILURE" else None
    _write(
        task.name,
        lambda session, now: heartbeats.run_finished(session, task.name, now, duration_ms, error),
    )


def _write(what: str, change: Callable[[Session, datetime], None]) -> None:
    try:
        rt = _runtime()  # built on first use, in the process that writes (after any fork)
        with rt.sessions.unit_of_work() as session:
            change(session, rt.clock())
    except Exception:  # the heartbeat is an observation: it never fails the task
        log.warning("heartbeat_not_recorded", task=what, exc_info=True)


class BeatWatch(bootsteps.StartStopStep):  # type: ignore[misc]
    """Stops the worker (exit ``EXIT_BEAT_DIED``) when its embedded beat process dies."""

    label = "BeatWatch"
    requires = ("celery.worker.components:Beat",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self._stopping = threading.Event()

    def start(self, worker: Any) -> None:
        if getattr(worker, "beat", None) is None:
            return
        threading.Thread(
            target=self._watch, args=(worker.beat,), name="beat-watch", daemon=True
        ).start()

    def stop(self, worker: Any) -> None:
        self._stopping.set()

    def _watch(self, beat: Any) -> None:
        while not self._stopping.wait(BEAT_WATCH_INTERVAL_S):
            if beat.is_alive():
                continue
            # A signal to the whole process group stops beat a moment before the worker
            # hears it: that is a shutdown, not a death.
            if self._stopping.wait(BEAT_WATCH_INTERVAL_S) or _shutting_down():
                return
            log.error("beat_died", exitcode=beat.exitcode, worker_exit=EXIT_BEAT_DIED)
            worker_state.should_stop = EXIT_BEAT_DIED
            return


def _shutting_down() -> bool:
    """Celery's own test: a flag set to anything but None or False (0 is a clean exit)."""
    flags = (worker_state.should_stop, worker_state.should_terminate)
    return any(flag is not None and flag is not False for flag in flags)
