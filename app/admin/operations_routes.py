"""``GET /admin/v1/operations``: the periodic tasks as an operator sees them: schedule,
last run and its duration, failures in a row and in all, and whether each is overdue.
Admins and auditors may read it; it changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.api.deps import AppClock, AppSettings, ReadSession
from app.staff.auth import require_roles
from app.staff.models import Role, StaffUser
from app.tasks.liveness import TaskLiveness, scheduler_liveness
from app.tasks.schedule import grace, periodic_tasks

router = APIRouter(prefix="/admin/v1", tags=["admin: operations"])
Overseer = Annotated[StaffUser, Depends(require_roles(Role.ADMIN, Role.AUDITOR))]


class PeriodicTaskOut(BaseModel):
    entry: str
    task: str
    schedule: str
    watched_since: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_duration_ms: int | None
    last_outcome: str | None
    last_error: str | None
    runs_total: int
    failures_total: int
    failures_consecutive: int
    overdue_at: datetime | None
    overdue: bool


class OperationsOut(BaseModel):
    scheduler: str
    """ok, stalled (a task is overdue) or not_started (no beat has run on this database)."""
    overdue: list[str]
    tasks: list[PeriodicTaskOut]


@router.get("/operations", response_model=OperationsOut)
def operations(
    session: ReadSession, settings: AppSettings, clock: AppClock, _: Overseer
) -> OperationsOut:
    """Each periodic task's last run, duration, failures and lateness."""
    liveness = scheduler_liveness(session, periodic_tasks(settings), clock(), grace(settings))
    return OperationsOut(
        scheduler=liveness.status.value,
        overdue=liveness.overdue,
        tasks=[_task_out(t) for t in liveness.tasks],
    )


def _task_out(task: TaskLiveness) -> PeriodicTaskOut:
    beat = task.heartbeat
    return PeriodicTaskOut(
        entry=task.periodic.entry,
        task=task.periodic.task,
        schedule=task.periodic.description,
        watched_since=beat.watched_since if beat else None,
        last_started_at=beat.last_started_at if beat else None,
        last_finished_at=beat.last_finished_at if beat else None,
        last_duration_ms=beat.last_duration_ms if beat else None,
        last_outcome=beat.last_outcome if beat else None,
        last_error=beat.last_error if beat else None,
        runs_total=beat.runs_total if beat else 0,
        failures_total=beat.failures_total if beat else 0,
        failures_consecutive=beat.failures_consecutive if beat else 0,
        overdue_at=task.overdue_at,
        overdue=task.overdue,
    )
