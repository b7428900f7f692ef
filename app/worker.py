"""The Celery application: broker from settings, reliable-delivery defaults, beat schedule.

Reliability choices (see docs/design.md): tasks are acknowledged after they run
(``acks_late``) and re-queued if the worker dies (``reject_on_worker_lost``); prefetch 1;
hard time limits below the broker's visibility timeout; tasks carry ids only.
"""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab
from kombu.transport import sqlalchemy as sqla_transport

from app.settings import Settings, get_settings

TASK_MODULES = [
    "app.books.tasks",
    "app.lending.tasks",
    "app.mpesa.tasks",
    "app.notifications.tasks",
    "app.payments.tasks",
    "app.reconciliation.tasks",
    "app.scoring.tasks",
    "app.ussd.tasks",
]
TASK_TIME_LIMIT_S = 300
VISIBILITY_TIMEOUT_S = 3600
EMBEDDED_BROKER_POLL_S = 0.1
"""The embedded (SQLAlchemy) broker is polled. kombu waits a whole second after each task
when prefetch is 1, which caps a worker at about one task a second; its transport passes
its options to create_engine, so the interval is set on the transport class instead."""


def create_celery(settings: Settings) -> Celery:
    if settings.broker_url.startswith("sqla+"):
        sqla_transport.Transport.polling_interval = EMBEDDED_BROKER_POLL_S
    celery = Celery("mkopo", broker=settings.broker_url, include=TASK_MODULES)
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=TASK_TIME_LIMIT_S,
        task_soft_time_limit=TASK_TIME_LIMIT_S - 30,
        # Redis redelivers unacknowledged tasks after this; the SQLAlchemy transport of the
        # embedded setup passes options to create_engine and takes none.
        broker_transport_options=(
            {"visibility_timeout": VISIBILITY_TIMEOUT_S}
            if settings.broker_url.startswith("redis")
            else {}
        ),
        broker_connection_retry_on_startup=True,
        task_default_queue=settings.task_queue,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        timezone="UTC",
        beat_schedule={
            "seal-ledger": {
                "task": "books.seal_ledger",
                "schedule": settings.ledger_seal_interval_s,
            },
            "expire-holds": {"task": "books.expire_holds", "schedule": 60.0},
            "sweep-payouts": {
                "task": "payments.sweep_payouts",
                "schedule": settings.payout_sweep_interval_s,
            },
            "process-callbacks": {
                "task": "mpesa.process_callbacks",
                "schedule": settings.callbacks_interval_s,
            },
            "sweep-stk": {"task": "mpesa.sweep_stk", "schedule": settings.stk_sweep_interval_s},
            "sweep-reversals": {
                "task": "mpesa.sweep_reversals",
                "schedule": settings.payout_sweep_interval_s,
            },
            "send-sms": {"task": "notifications.send_sms", "schedule": 30.0},
            "sweep-ussd-registrations": {"task": "ussd.sweep_registrations", "schedule": 60.0},
            "purge-ussd-sessions": {"task": "ussd.purge_sessions", "schedule": 3600.0},
            "rescore-borrowers": {"task": "scoring.rescore_due", "schedule": 60.0},
            # 00:05 Nairobi time (21:05 UTC): charge the day that has just begun.
            "accrue-loans": {"task": "lending.accrue", "schedule": crontab(hour=21, minute=5)},
            # 01:30 Nairobi (22:30 UTC): yesterday's statement, after the accrual.
            "reconcile-nightly": {
                "task": "reconciliation.nightly",
                "schedule": crontab(hour=22, minute=30),
            },
            "resume-reconciliations": {"task": "reconciliation.resume_runs", "schedule": 300.0},
            "resolve-pending-payments": {
                "task": "reconciliation.resolve_pending",
                "schedule": 900.0,
            },
            "float-check": {"task": "reconciliation.float_check", "schedule": 3600.0},
        },
    )
    return celery


celery_app = create_celery(get_settings())
