"""Handing work to the worker once a request has committed.

Best effort by design: every task sent this way has a scheduled sweep that finds its work in
the database if the message is lost (a pending payout, an unsent STK request), so a broker
outage delays money, it never loses or doubles it.
"""

from __future__ import annotations

from typing import Protocol

import structlog
from celery import Celery

from app.settings import Settings
from app.tasks.broker import prepare_broker
from app.worker import create_celery

log = structlog.get_logger("mkopo.tasks")


class TaskQueue(Protocol):
    def send(self, task: str, *args: int | str) -> None: ...


class CeleryTaskQueue:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._celery: Celery | None = None

    def send(self, task: str, *args: int | str) -> None:
        try:
            if self._celery is None:
                prepare_broker(self._settings.broker_url, self._settings.task_queue)
                self._celery = create_celery(self._settings)
            self._celery.send_task(task, args=list(args))
        except Exception:  # the broker is down: the sweep will find the work
            log.warning("task_not_queued", task=task, exc_info=True)
