"""Worker task: send queued SMS."""

from __future__ import annotations

from celery import shared_task

from app.notifications.outbox import send_pending
from app.runtime import runtime


@shared_task(name="notifications.send_sms")  # type: ignore[untyped-decorator]
def send_sms_task() -> int:
    rt = runtime()
    return send_pending(rt.sessions, rt.ports.sms, rt.ports.cipher, rt.clock)
