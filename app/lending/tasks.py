"""Worker tasks of lending: the nightly accrual run."""

from __future__ import annotations

from celery import shared_task

from app.clock import business_date
from app.lending.accrual import accrue_through
from app.runtime import runtime


@shared_task(name="lending.accrue")  # type: ignore[untyped-decorator]
def accrue_task() -> int:
    """Accrue every open loan through today's business date (idempotent, resumable)."""
    rt = runtime()
    return accrue_through(rt.sessions, rt.clock, business_date(rt.clock())).loans_accrued
