"""Worker task: process stored M-Pesa callbacks (every few seconds, and on demand)."""

from __future__ import annotations

from celery import shared_task

from app.mpesa.processing import process_pending
from app.runtime import runtime


@shared_task(name="mpesa.process_callbacks")  # type: ignore[untyped-decorator]
def process_callbacks_task() -> int:
    rt = runtime()
    return process_pending(rt.sessions, rt.clock, rt.ports.blind_index)
