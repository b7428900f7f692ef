"""Worker tasks of the USSD channel: complete a registration (handed over after the hop that
collected it commits), the sweep that completes those whose task was lost, and the purge of
old sessions."""

from __future__ import annotations

from datetime import timedelta

from app.lending.limits import LimitPolicy
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task
from app.ussd.registration import complete_registration, sweep_registrations
from app.ussd.store import purge_sessions

SESSION_RETENTION = timedelta(days=1)
"""A gateway session lasts three minutes at most; a day leaves time to answer a complaint."""


@task(refs.COMPLETE_REGISTRATION)
def complete_registration_task(rt: Runtime, registration_id: int) -> str:
    return complete_registration(rt.sessions, rt.ports, rt.clock, LimitPolicy(), registration_id)


@task(refs.SWEEP_REGISTRATIONS)
def sweep_registrations_task(rt: Runtime) -> int:
    return sweep_registrations(rt.sessions, rt.ports, rt.clock, LimitPolicy())


@task(refs.PURGE_USSD_SESSIONS)
def purge_sessions_task(rt: Runtime) -> int:
    with rt.sessions.unit_of_work() as session:
        return purge_sessions(session, rt.clock() - SESSION_RETENTION)
