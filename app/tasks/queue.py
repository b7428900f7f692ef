"""Handing work to the worker once the transaction that made it has committed.

A use case calls ``after_commit(session, SUBMIT_PAYOUT, payout.id)`` inside its transaction.
The message is sent when the outermost transaction commits, through the task queue the
session's factory carries (``TASK_QUEUE_KEY`` in ``Sessions(info=...)``); a rollback, also of
the savepoint the call was made in, forgets it. So no worker ever looks for a row that was
never committed, and a use case reads the same in a request, a task or a test.

Best effort by design: every task sent this way has a scheduled sweep that finds its work in
the database if the message is lost (a pending payout, an unsent STK request), so a broker
outage delays money, it never loses or doubles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import structlog
from celery import Celery
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.settings import Settings
from app.tasks.broker import prepare_broker
from app.tasks.celery_app import create_celery
from app.tasks.refs import TaskRef

log = structlog.get_logger("mkopo.tasks")
TASK_QUEUE_KEY = "mkopo.task_queue"
"""``session.info`` key of the queue this session's commits send through."""
_PENDING_KEY = "mkopo.pending_tasks"
TaskArg = int | str


class TaskQueue(Protocol):
    def send(self, ref: TaskRef, *args: TaskArg) -> None: ...


class CeleryTaskQueue:
    """Sends through the broker of ``settings``, built on first use."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._celery: Celery | None = None

    def send(self, ref: TaskRef, *args: TaskArg) -> None:
        try:
            if self._celery is None:
                prepare_broker(self._settings.broker_url, self._settings.task_queue)
                self._celery = create_celery(self._settings)
            self._celery.send_task(ref.name, args=list(args))
        except Exception:  # the broker is down: the sweep will find the work
            log.warning("task_not_queued", task=ref.name, exc_info=True)


@dataclass(frozen=True, slots=True)
class _Pending:
    transaction: SessionTransaction
    ref: TaskRef
    args: tuple[TaskArg, ...]


def after_commit(session: Session, ref: TaskRef, *args: TaskArg) -> None:
    """Send ``ref(*args)`` once the outermost transaction of ``session`` commits."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        raise RuntimeError(f"{ref.name}: after_commit outside a transaction")
    pending: list[_Pending] = session.info.setdefault(_PENDING_KEY, [])
    pending.append(_Pending(transaction, ref, args))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending: list[_Pending] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    queue: TaskQueue | None = session.info.get(TASK_QUEUE_KEY)
    for item in pending:
        if queue is None:
            log.warning("task_not_queued", task=item.ref.name, reason="no task queue")
        else:
            queue.send(item.ref, *item.args)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[_Pending] | None = session.info.get(_PENDING_KEY)
    if pending:
        pending[:] = [p for p in pending if not _within(p.transaction, previous_transaction)]


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
