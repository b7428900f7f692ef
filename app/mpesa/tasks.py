"""Worker tasks of M-Pesa: process stored callbacks, send and chase STK prompts, send and
chase approved reversals."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from app.mpesa.processing import process_pending
from app.mpesa.reversals import sweep_reversals
from app.mpesa.stk import send_stk, sweep_stk
from app.runtime import runtime


@shared_task(name="mpesa.process_callbacks")  # type: ignore[untyped-decorator]
def process_callbacks_task() -> int:
    rt = runtime()
    return process_pending(rt.sessions, rt.clock, rt.ports.blind_index)


@shared_task(name="mpesa.send_stk")  # type: ignore[untyped-decorator]
def send_stk_task(request_id: int) -> str:
    rt = runtime()
    query_after = timedelta(seconds=rt.settings.stk_query_after_s)
    return send_stk(rt.sessions, rt.ports, rt.clock, request_id, query_after)


@shared_task(name="mpesa.sweep_stk")  # type: ignore[untyped-decorator]
def sweep_stk_task() -> int:
    rt = runtime()
    return sweep_stk(
        rt.sessions, rt.ports, rt.clock, timedelta(seconds=rt.settings.stk_query_after_s)
    )


@shared_task(name="mpesa.sweep_reversals")  # type: ignore[untyped-decorator]
def sweep_reversals_task() -> int:
    rt = runtime()
    grace = timedelta(seconds=rt.settings.payout_result_grace_s)
    return sweep_reversals(rt.sessions, rt.ports, rt.clock, grace)
