"""The Celery application: broker from settings, reliable-delivery defaults, beat schedule.

Reliability choices (see docs/design.md): tasks are acknowledged after they run
(``acks_late``) and re-queued if the worker dies (``reject_on_worker_lost``); prefetch 1;
hard time limits below the broker's visibility timeout; tasks carry ids only. The API builds
the same application to send tasks; only the worker (``app.worker``) binds their bodies.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu.transport import sqlalchemy as sqla_transport

from app.settings import Settings
from app.tasks.broker import EMBEDDED_TRANSPORT_OPTIONS, is_embedded
from app.tasks.schedule import beat_schedule, periodic_tasks

TASK_TIME_LIMIT_S = 300
VISIBILITY_TIMEOUT_S = 3600
EMBEDDED_BROKER_POLL_S = 0.1
"""The embedded (SQLAlchemy) broker is polled. kombu waits a whole second after each task
when prefetch is 1, which caps a worker at about one task a second; its transport passes
its options to create_engine, so the interval is set on the transport class instead."""


def create_celery(settings: Settings) -> Celery:
    if is_embedded(settings.broker_url):
        sqla_transport.Transport.polling_interval = EMBEDDED_BROKER_POLL_S
    celery = Celery("mkopo", broker=settings.broker_url)
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=TASK_TIME_LIMIT_S,
        task_soft_time_limit=TASK_TIME_LIMIT_S - 30,
        broker_transport_options=_transport_options(settings.broker_url),
        broker_connection_retry_on_startup=True,
        task_default_queue=settings.task_queue,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        timezone="UTC",
        beat_schedule=beat_schedule(periodic_tasks(settings)),
    )
    return celery


def _transport_options(broker_url: str) -> dict[str, Any]:
    if broker_url.startswith("redis"):
        # Redis redelivers unacknowledged tasks after this.
        return {"visibility_timeout": VISIBILITY_TIMEOUT_S}
    # The SQLAlchemy transport of the embedded setup passes its options to create_engine.
    return dict(EMBEDDED_TRANSPORT_OPTIONS) if is_embedded(broker_url) else {}
