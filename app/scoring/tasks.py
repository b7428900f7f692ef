"""Worker task of scoring: the rescoring sweep (scheduled and event-driven rescoring)."""

from __future__ import annotations

from celery import shared_task

from app.lending.limits import LimitPolicy
from app.runtime import runtime
from app.scoring.schedule import rescore_due


@shared_task(name="scoring.rescore_due")  # type: ignore[untyped-decorator]
def rescore_due_task() -> dict[str, int]:
    rt = runtime()
    result = rescore_due(rt.sessions, rt.ports, rt.clock, LimitPolicy())
    return {"scored": result.scored, "skipped": result.skipped}
