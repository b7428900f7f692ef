"""Every scheduled job names a task the worker actually has."""

from __future__ import annotations

from app.worker import celery_app


def test_every_beat_entry_names_a_registered_task() -> None:
    celery_app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert scheduled == {
        "accounting.seal_ledger",
        "accounting.expire_holds",
        "approvals.expire_due",
        "crb.report_day",
        "groups.review_scores",
        "groups.accrue_loans",
        "payments.sweep_payouts",
        "notifications.send_sms",
        "lending.accrue",
        "mpesa.process_callbacks",
        "mpesa.sweep_stk",
        "mpesa.sweep_reversals",
        "ussd.sweep_registrations",
        "ussd.purge_sessions",
        "reconciliation.nightly",
        "reconciliation.resume_runs",
        "reconciliation.resolve_pending",
        "reconciliation.float_check",
        "scoring.rescore_due",
        "privacy.erase_expired",
    }
    assert scheduled <= set(celery_app.tasks)


def test_tasks_are_acknowledged_after_they_run_and_requeued_if_the_worker_dies() -> None:
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1


def test_sweep_intervals_come_from_settings() -> None:
    from app.settings import Settings
    from app.tasks.celery_app import create_celery

    fast = create_celery(Settings(payout_sweep_interval_s=1, callbacks_interval_s=0.5))
    schedule = fast.conf.beat_schedule
    assert schedule["sweep-payouts"]["schedule"] == 1
    assert schedule["sweep-reversals"]["schedule"] == 1
    assert schedule["process-callbacks"]["schedule"] == 0.5
