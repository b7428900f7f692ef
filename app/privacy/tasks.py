"""Worker task of the retention policy: erase the identities due, a batch a night."""

from __future__ import annotations

from app.privacy.retention import erase_due
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task


@task(refs.ERASE_EXPIRED)
def erase_expired_task(rt: Runtime) -> int:
    with rt.sessions.unit_of_work() as session:
        return len(erase_due(session, rt.clock()))
