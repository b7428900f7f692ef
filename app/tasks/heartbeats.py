"""Writing the heartbeats: beat starts watching, a run starts, a run ends.

Each function flushes inside the caller's transaction; the callers (``app.tasks.hooks``)
give each write a transaction of its own, apart from the task's. Counters move by SQL
expressions (``runs_total + 1``), so two workers finishing the same task at once both count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.tasks.models import Outcome, TaskHeartbeat

ERROR_NAME_CHARS = 128


def watch(session: Session, tasks: Iterable[str], now: datetime) -> None:
    """Beat has started with these tasks in its schedule: their clocks start now."""
    names = list(tasks)
    _ensure_rows(session, names, now)
    session.execute(
        update(TaskHeartbeat).where(TaskHeartbeat.task.in_(names)).values(watched_since=now)
    )


def run_started(session: Session, task: str, now: datetime) -> None:
    _ensure_rows(session, [task], now)
    session.execute(
        update(TaskHeartbeat).where(TaskHeartbeat.task == task).values(last_started_at=now)
    )


def run_finished(
    session: Session, task: str, now: datetime, duration_ms: int, error: str | None
) -> None:
    """Record a run's end: ``error`` is the exception's class name when it failed."""
    _ensure_rows(session, [task], now)
    failed = error is not None
    row = TaskHeartbeat
    session.execute(
        update(row)
        .where(row.task == task)
        .values(
            last_finished_at=now,
            last_duration_ms=max(duration_ms, 0),
            last_outcome=Outcome.FAILED if failed else Outcome.OK,
            last_error=error[:ERROR_NAME_CHARS] if error is not None else row.last_error,
            runs_total=row.runs_total + 1,
            failures_total=row.failures_total + (1 if failed else 0),
            failures_consecutive=row.failures_consecutive + 1 if failed else 0,
        )
    )


def _ensure_rows(session: Session, tasks: list[str], now: datetime) -> None:
    """Insert the missing rows; a row another worker inserts meanwhile is left alone."""
    rows = [
        {
            "task": task,
            "watched_since": now,
            "runs_total": 0,
            "failures_total": 0,
            "failures_consecutive": 0,
        }
        for task in tasks
    ]
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(TaskHeartbeat).values(rows).on_conflict_do_nothing())
