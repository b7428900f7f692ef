"""The periodic tasks (Celery beat's schedule) and when each one counts as overdue.

A periodic task runs on a fixed interval, or once a day at a UTC time. Its staleness bound
(docs/operations.md, "What to watch"): an interval task is overdue once it has not started
for ``MISSED_RUNS`` intervals plus the grace (``MKOPO_SCHEDULE_GRACE_S``); a daily task once
a due time has passed by ``DAILY_LATENESS`` plus the grace without it starting. The clock of
a task starts when it last started, or when beat last started if that is later (a fresh
beat is not blamed for what ran before it).

Invariant: every task in the schedule has exactly one entry, and a task name appears once,
so a worker's record of a run belongs to one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from celery.schedules import crontab

from app.settings import Settings
from app.tasks import refs

MISSED_RUNS = 3
DAILY_LATENESS = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    entry: str
    """Beat's name for the schedule entry, e.g. ``process-callbacks``."""
    task: str
    """The Celery task it sends, e.g. ``mpesa.process_callbacks``."""
    every_s: float | None = None
    daily_at_utc: time | None = None

    def __post_init__(self) -> None:
        if (self.every_s is None) == (self.daily_at_utc is None):
            raise ValueError(f"{self.entry}: give an interval or a daily time, not both")

    @property
    def description(self) -> str:
        if self.daily_at_utc is not None:
            return f"daily at {self.daily_at_utc:%H:%M} UTC"
        return f"every {self.every_s:g} s"

    def celery_schedule(self) -> float | crontab:
        if self.daily_at_utc is not None:
            return crontab(hour=self.daily_at_utc.hour, minute=self.daily_at_utc.minute)
        assert self.every_s is not None
        return self.every_s

    def overdue_at(self, since: datetime, grace: timedelta) -> datetime:
        """When a task last started (or watched from) ``since`` becomes overdue."""
        if self.every_s is not None:
            return since + MISSED_RUNS * timedelta(seconds=self.every_s) + grace
        assert self.daily_at_utc is not None
        due = datetime.combine(since.astimezone(UTC).date(), self.daily_at_utc, UTC)
        if due <= since:
            due += timedelta(days=1)
        return due + DAILY_LATENESS + grace


def periodic_tasks(settings: Settings) -> tuple[PeriodicTask, ...]:
    """Beat's schedule, in the order an operator reads it (fastest first)."""
    tasks = (
        PeriodicTask(
            "process-callbacks", refs.PROCESS_CALLBACKS.name, settings.callbacks_interval_s
        ),
        PeriodicTask("seal-ledger", refs.SEAL_LEDGER.name, settings.ledger_seal_interval_s),
        PeriodicTask("sweep-stk", refs.SWEEP_STK.name, settings.stk_sweep_interval_s),
        PeriodicTask("sweep-payouts", refs.SWEEP_PAYOUTS.name, settings.payout_sweep_interval_s),
        PeriodicTask(
            "sweep-reversals", refs.SWEEP_REVERSALS.name, settings.payout_sweep_interval_s
        ),
        PeriodicTask("send-sms", refs.SEND_SMS.name, 30.0),
        PeriodicTask("expire-holds", refs.EXPIRE_HOLDS.name, 60.0),
        PeriodicTask("expire-approvals", refs.EXPIRE_APPROVALS.name, 300.0),
        PeriodicTask("sweep-ussd-registrations", refs.SWEEP_REGISTRATIONS.name, 60.0),
        PeriodicTask("rescore-borrowers", refs.RESCORE_DUE.name, 60.0),
        PeriodicTask("resume-reconciliations", refs.RESUME_RUNS.name, 300.0),
        PeriodicTask("resolve-pending-payments", refs.RESOLVE_PENDING.name, 900.0),
        PeriodicTask("purge-ussd-sessions", refs.PURGE_USSD_SESSIONS.name, 3600.0),
        PeriodicTask("float-check", refs.FLOAT_CHECK.name, 3600.0),
        # 00:05 Nairobi time (21:05 UTC): charge the day that has just begun.
        PeriodicTask("accrue-loans", refs.ACCRUE.name, daily_at_utc=time(21, 5)),
        # 00:15 Nairobi (21:15 UTC): group loans' due interest and penalty, the same night.
        PeriodicTask("accrue-group-loans", refs.ACCRUE_GROUP_LOANS.name, daily_at_utc=time(21, 15)),
        # 01:30 Nairobi (22:30 UTC): yesterday's statement, after the accrual.
        PeriodicTask("reconcile-nightly", refs.RECONCILE_NIGHTLY.name, daily_at_utc=time(22, 30)),
        # 02:00 Nairobi (23:00 UTC): listings and the bureau files, after the accrual's
        # defaults; the monthly file too on the 1st (docs/crb.md).
        PeriodicTask("crb-report-day", refs.CRB_REPORT_DAY.name, daily_at_utc=time(23, 0)),
        # 03:30 Nairobi (00:30 UTC): the retention policy's erasures (docs/privacy.md).
        PeriodicTask("erase-expired", refs.ERASE_EXPIRED.name, daily_at_utc=time(0, 30)),
        # 03:00 Nairobi (00:00 UTC): groups' scores and limits, after the night's defaults.
        PeriodicTask("review-group-scores", refs.REVIEW_GROUPS.name, daily_at_utc=time(0, 0)),
    )
    assert len({t.task for t in tasks}) == len(tasks), "a task is scheduled twice"
    return tasks


def grace(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.schedule_grace_s)


def beat_schedule(tasks: tuple[PeriodicTask, ...]) -> dict[str, dict[str, object]]:
    """Celery's ``beat_schedule`` setting."""
    return {t.entry: {"task": t.task, "schedule": t.celery_schedule()} for t in tasks}
