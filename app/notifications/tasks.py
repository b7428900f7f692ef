"""Worker task: send queued SMS."""

from __future__ import annotations

from app.notifications.outbox import send_pending
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task


@task(refs.SEND_SMS)
def send_sms_task(rt: Runtime) -> int:
    return send_pending(rt.sessions, rt.ports.sms, rt.ports.cipher, rt.clock)
