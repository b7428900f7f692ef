"""Worker task: process stored M-Pesa callbacks (every few seconds, and on demand)."""

from __future__ import annotations

from celery import shared_task

from app.mpesa.processing import process_pending
from app.mpesa.stk import send_stk, sweep_stk
from app.runtime import runtime


@shared_task(name="mpesa.process_callbacks")  # type: ignore[untyped-decorator]
def process_callbacks_task() -> int:
    rt = runtime()
    return process_pending(rt.sessions, rt.clock, rt.ports.blind_index)


@shared_task(name="mpesa.send_stk")  # type: ignore[untyped-decorator]
def send_stk_task(request_id: int) -> str:
    rt = runtime()
    return send_stk(rt.sessions, rt.ports, rt.clock, request_id)


@shared_task(name="mpesa.sweep_stk")  # type: ignore[untyped-decorator]
def sweep_stk_task() -> int:
    rt = runtime()
    return sweep_stk(rt.sessions, rt.ports, rt.clock)
