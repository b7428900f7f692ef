"""Worker task of scoring: the rescoring sweep (scheduled and event-driven rescoring)."""

from __future__ import annotations

from app.lending.limits import LimitPolicy
from app.runtime import Runtime
from app.scoring.schedule import rescore_due
from app.tasks import refs
from app.tasks.registry import task
from app.tasks.sweeps import SweepIncomplete


@task(refs.RESCORE_DUE)
def rescore_due_task(rt: Runtime) -> dict[str, int]:
    """Borrowers whose scoring failed are retried later; the run still counts as failed, so
    the failures show in the task's heartbeat instead of only in the logs."""
    result = rescore_due(rt.sessions, rt.ports, rt.clock, LimitPolicy())
    if result.failed:
        raise SweepIncomplete(refs.RESCORE_DUE.name, result.failed)
    return {"scored": result.scored, "skipped": result.skipped}
