"""Reading the heartbeats: is each periodic task on time, and is the scheduler alive?

The scheduler is ``ok`` when every task beat watches is on time, ``stalled`` when one is
overdue (its bound: ``app.tasks.schedule``), and ``not_started`` when no beat has ever
started against this database. Readiness, the metrics and the admin operations view all
read this one report, so they never disagree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.tasks.models import TaskHeartbeat
from app.tasks.schedule import PeriodicTask


class SchedulerStatus(enum.StrEnum):
    OK = "ok"
    STALLED = "stalled"
    NOT_STARTED = "not_started"


@dataclass(frozen=True, slots=True)
class TaskLiveness:
    periodic: PeriodicTask
    heartbeat: TaskHeartbeat | None
    overdue_at: datetime | None
    """None while beat has never watched the task."""
    now: datetime

    @property
    def overdue(self) -> bool:
        return self.overdue_at is not None and self.now > self.overdue_at

    @property
    def age_s(self) -> float | None:
        """Seconds since the task last started (None: never)."""
        started = self.heartbeat.last_started_at if self.heartbeat else None
        return None if started is None else (self.now - started).total_seconds()


@dataclass(frozen=True, slots=True)
class SchedulerLiveness:
    tasks: tuple[TaskLiveness, ...]

    @property
    def status(self) -> SchedulerStatus:
        if all(t.heartbeat is None for t in self.tasks):
            return SchedulerStatus.NOT_STARTED
        return SchedulerStatus.STALLED if self.overdue else SchedulerStatus.OK

    @property
    def overdue(self) -> list[str]:
        return [t.periodic.entry for t in self.tasks if t.overdue]


def scheduler_liveness(
    session: Session, schedule: tuple[PeriodicTask, ...], now: datetime, grace: timedelta
) -> SchedulerLiveness:
    rows = {row.task: row for row in session.scalars(select(TaskHeartbeat))}
    tasks = []
    for periodic in schedule:
        row = rows.get(periodic.task)
        overdue_at = None
        if row is not None:
            since = max(row.watched_since, row.last_started_at or row.watched_since)
            overdue_at = periodic.overdue_at(since, grace)
        tasks.append(TaskLiveness(periodic, row, overdue_at, now))
    return SchedulerLiveness(tuple(tasks))
