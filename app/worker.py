"""The worker process: the Celery application with every domain's task bodies bound to it,
each called with this process's runtime (``app.bootstrap.process_runtime``), and the
heartbeats of the periodic schedule. ``mkopo worker`` and ``celery -A app.worker`` run it."""

from __future__ import annotations

import functools
import importlib
from typing import Any

from celery import Celery

from app.bootstrap import process_runtime
from app.settings import get_settings
from app.tasks import hooks, refs
from app.tasks.celery_app import create_celery
from app.tasks.registry import Body, declared
from app.tasks.schedule import periodic_tasks

TASK_MODULES = (
    "app.accounting.tasks",
    "app.approvals.tasks",
    "app.crb.tasks",
    "app.groups.tasks",
    "app.lending.tasks",
    "app.mpesa.tasks",
    "app.notifications.tasks",
    "app.payments.tasks",
    "app.privacy.tasks",
    "app.reconciliation.tasks",
    "app.scoring.tasks",
    "app.ussd.tasks",
)


class TaskWithoutBody(RuntimeError):
    """A task reference no module declares: its messages would wait forever."""


def bind_tasks(celery: Celery) -> None:
    """Register every declared body under its reference's name."""
    for module in TASK_MODULES:
        importlib.import_module(module)
    bodies = declared()
    missing = sorted(ref.name for ref in refs.ALL if ref not in bodies)
    if missing:
        raise TaskWithoutBody(", ".join(missing))
    for ref, body in bodies.items():
        celery.task(name=ref.name, shared=False)(_with_runtime(body))


def _with_runtime(body: Body) -> Body:
    @functools.wraps(body)
    def run(*args: Any) -> Any:
        return body(process_runtime(), *args)

    return run


celery_app = create_celery(get_settings())
bind_tasks(celery_app)
hooks.install(celery_app, periodic_tasks(get_settings()), process_runtime)
