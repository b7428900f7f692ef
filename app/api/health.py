"""Liveness (the process answers) and readiness (the database answers and is migrated, and
the scheduler is alive: every periodic task has started within its bound).

Readiness goes 503 within the shortest bound when beat stalls or dies, or when no worker
runs the tasks it sends (docs/operations.md states the bounds); the body names the overdue
tasks, and ``GET /admin/v1/operations`` gives their detail to staff.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.api.deps import AppClock, AppSettings, ReadSession
from app.api.problems import problem_response
from app.db.migrations_state import head_revision
from app.tasks.liveness import SchedulerStatus, scheduler_liveness
from app.tasks.schedule import grace, periodic_tasks

router = APIRouter(tags=["health"])
OPERATIONS_VIEW = "/admin/v1/operations"


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: database reachable and migrated, every periodic task on time",
    responses={503: {"description": "Not ready: a problem naming what is wrong"}},
)
def readyz(session: ReadSession, settings: AppSettings, clock: AppClock) -> JSONResponse:
    try:
        versions = session.execute(text("SELECT version_num FROM alembic_version")).scalars()
        current = ",".join(sorted(versions))
        head = head_revision()
        if current != head:
            return problem_response(
                503,
                "not_migrated",
                f"The schema is at {current or 'nothing'}; the code needs {head}",
                migration=current,
                head=head,
            )
        liveness = scheduler_liveness(session, periodic_tasks(settings), clock(), grace(settings))
    except PoolTimeout:
        raise  # the pool is exhausted, not the database down: database_busy, Retry-After
    except SQLAlchemyError as exc:
        return problem_response(
            503, "database_unavailable", "The database did not answer", database=type(exc).__name__
        )
    scheduler = {"status": liveness.status.value, "overdue": liveness.overdue}
    if liveness.status is SchedulerStatus.NOT_STARTED:
        detail = "No scheduler (beat) has ever started against this database"
    elif liveness.status is SchedulerStatus.STALLED:
        detail = "Periodic tasks are overdue: " + ", ".join(liveness.overdue)
    else:
        return JSONResponse({"status": "ok", "migration": current, "scheduler": scheduler})
    return problem_response(
        503,
        f"scheduler_{liveness.status.value}",
        detail,
        migration=current,
        scheduler=scheduler,
        operations=OPERATIONS_VIEW,
    )
