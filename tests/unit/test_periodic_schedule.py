"""The periodic schedule and its staleness bounds: an interval task is overdue after three
intervals plus the grace; a daily task an hour plus the grace after a due time it missed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from celery.schedules import crontab

from app.settings import Settings
from app.tasks.schedule import PeriodicTask, beat_schedule, periodic_tasks

GRACE = timedelta(seconds=60)
T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def test_callbacks_every_5_s_are_overdue_75_s_after_their_last_start() -> None:
    callbacks = PeriodicTask("process-callbacks", "mpesa.process_callbacks", 5.0)
    assert callbacks.overdue_at(T0, GRACE) == T0 + timedelta(seconds=75)


@pytest.mark.parametrize(
    ("since", "overdue_at"),
    [
        # 10:00 UTC: tonight's 21:05 run, plus an hour and the grace.
        (datetime(2026, 3, 2, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 22, 6, tzinfo=UTC)),
        # Started at 21:05 exactly: the next due time is tomorrow's.
        (datetime(2026, 3, 2, 21, 5, tzinfo=UTC), datetime(2026, 3, 3, 22, 6, tzinfo=UTC)),
        (datetime(2026, 3, 2, 23, 0, tzinfo=UTC), datetime(2026, 3, 3, 22, 6, tzinfo=UTC)),
    ],
)
def test_the_nightly_accrual_is_overdue_an_hour_after_a_missed_due_time(
    since: datetime, overdue_at: datetime
) -> None:
    accrual = PeriodicTask("accrue-loans", "lending.accrue", daily_at_utc=time(21, 5))
    assert accrual.overdue_at(since, GRACE) == overdue_at


def test_a_task_has_an_interval_or_a_daily_time_never_both_or_neither() -> None:
    with pytest.raises(ValueError, match="not both"):
        PeriodicTask("x", "x.y", 5.0, time(1, 0))
    with pytest.raises(ValueError, match="not both"):
        PeriodicTask("x", "x.y")


def test_beat_runs_the_nightly_jobs_on_crontab_and_the_sweeps_on_settings_intervals() -> None:
    schedule = beat_schedule(periodic_tasks(Settings(stk_sweep_interval_s=7)))
    assert schedule["accrue-loans"] == {
        "task": "lending.accrue",
        "schedule": crontab(hour=21, minute=5),
    }
    assert schedule["reconcile-nightly"]["schedule"] == crontab(hour=22, minute=30)
    assert schedule["sweep-stk"] == {"task": "mpesa.sweep_stk", "schedule": 7}
    assert schedule["crb-report-day"] == {
        "task": "crb.report_day",
        "schedule": crontab(hour=23, minute=0),
    }
    assert schedule["erase-expired"] == {
        "task": "privacy.erase_expired",
        "schedule": crontab(hour=0, minute=30),
    }
    assert schedule["review-group-scores"] == {
        "task": "groups.review_scores",
        "schedule": crontab(hour=0, minute=0),
    }
    assert schedule["accrue-group-loans"] == {
        "task": "groups.accrue_loans",
        "schedule": crontab(hour=21, minute=15),
    }
    assert len(schedule) == 20
