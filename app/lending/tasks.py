"""Worker tasks of lending: the nightly accrual run."""

from __future__ import annotations

from app.clock import business_date
from app.lending.accrual import accrue_through
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task


@task(refs.ACCRUE)
def accrue_task(rt: Runtime) -> int:
    """Accrue every open loan through today's business date (idempotent, resumable)."""
    return accrue_through(rt.sessions, rt.clock, business_date(rt.clock())).loans_accrued
