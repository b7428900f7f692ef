"""Worker task of scoring: the rescoring sweep (scheduled and event-driven rescoring)."""

from __future__ import annotations

from celery import shared_task

from app.lending.limits import LimitPolicy
from app.runtime import runtime
from app.scoring.schedule import rescore_due
from app.tasks.sweeps import SweepIncomplete


@shared_task(name="scoring.rescore_due")  # type: ignore[untyped-decorator]
def rescore_due_task() -> dict[str, int]:
    """Borrowers whose scoring failed are retried later; the run still counts as failed, so
    the failures show in the task's heartbeat instead of only in the logs."""
    rt = runtime()
    result = rescore_due(rt.sessions, rt.ports, rt.clock, LimitPolicy())
    if result.failed:
        raise SweepIncomplete("scoring.rescore_due", result.failed)
    return {"scored": result.scored, "skipped": result.skipped}
