"""Worker task of the four-eyes engine: close the requests whose time ran out (a decision
after ``expires_at`` is refused anyway; the sweep makes the queue say so)."""

from __future__ import annotations

from app.approvals.engine import expire_due
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task


@task(refs.EXPIRE_APPROVALS)
def expire_approvals(rt: Runtime) -> int:
    with rt.sessions.unit_of_work() as session:
        return expire_due(session, rt.clock())
