"""Worker tasks of the USSD channel: complete a registration (handed over after the hop that
collected it commits), the sweep that completes those whose task was lost, and the purge of
old sessions."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from app.lending.limits import LimitPolicy
from app.runtime import runtime
from app.ussd.registration import complete_registration, sweep_registrations
from app.ussd.store import purge_sessions

SESSION_RETENTION = timedelta(days=1)
"""A gateway session lasts three minutes at most; a day leaves time to answer a complaint."""


@shared_task(name="ussd.complete_registration")  # type: ignore[untyped-decorator]
def complete_registration_task(registration_id: int) -> str:
    rt = runtime()
    return complete_registration(rt.sessions, rt.ports, rt.clock, LimitPolicy(), registration_id)


@shared_task(name="ussd.sweep_registrations")  # type: ignore[untyped-decorator]
def sweep_registrations_task() -> int:
    rt = runtime()
    return sweep_registrations(rt.sessions, rt.ports, rt.clock, LimitPolicy())


@shared_task(name="ussd.purge_sessions")  # type: ignore[untyped-decorator]
def purge_sessions_task() -> int:
    rt = runtime()
    with rt.sessions.unit_of_work() as session:
        return purge_sessions(session, rt.clock() - SESSION_RETENTION)
