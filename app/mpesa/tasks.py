"""Worker tasks of M-Pesa: process stored callbacks, send and chase STK prompts, send and
chase approved reversals."""

from __future__ import annotations

from datetime import timedelta

from app.mpesa.processing import process_pending
from app.mpesa.reversals import sweep_reversals
from app.mpesa.stk import send_stk, sweep_stk
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task
from integrations.payments.networks import Network


@task(refs.PROCESS_CALLBACKS)
def process_callbacks_task(rt: Runtime) -> int:
    ports = rt.ports
    return process_pending(
        rt.sessions, rt.clock, ports.blind_index, airtel=ports.payments_for(Network.AIRTEL)
    )


@task(refs.SEND_STK)
def send_stk_task(rt: Runtime, request_id: int) -> str:
    query_after = timedelta(seconds=rt.settings.stk_query_after_s)
    return send_stk(rt.sessions, rt.ports, rt.clock, request_id, query_after)


@task(refs.SWEEP_STK)
def sweep_stk_task(rt: Runtime) -> int:
    return sweep_stk(
        rt.sessions, rt.ports, rt.clock, timedelta(seconds=rt.settings.stk_query_after_s)
    )


@task(refs.SWEEP_REVERSALS)
def sweep_reversals_task(rt: Runtime) -> int:
    grace = timedelta(seconds=rt.settings.payout_result_grace_s)
    return sweep_reversals(rt.sessions, rt.ports, rt.clock, grace)
