"""Prometheus metrics of the periodic tasks, read from their heartbeats at scrape time (so
any API replica reports the same numbers, whichever worker ran the task).

- ``mkopo_periodic_task_last_run_age_seconds{task}``: since the task last started;
- ``mkopo_periodic_task_overdue{task}``: 1 when past its bound (what readiness checks);
- ``mkopo_periodic_task_last_duration_seconds{task}``;
- ``mkopo_periodic_task_runs_total{task}``, ``mkopo_periodic_task_failures_total{task}``;
- ``mkopo_periodic_task_consecutive_failures{task}``: failed runs since the last success.
"""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from app.clock import Clock
from app.db.session import Sessions
from app.settings import Settings
from app.tasks.liveness import SchedulerLiveness, scheduler_liveness
from app.tasks.schedule import grace, periodic_tasks

log = structlog.get_logger("mkopo.operations")


class PeriodicTaskCollector(Collector):
    def __init__(self, sessions: Sessions, settings: Settings, clock: Clock) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        try:
            with self._sessions.reader() as session:
                liveness = scheduler_liveness(
                    session, periodic_tasks(self._settings), self._clock(), grace(self._settings)
                )
        except SQLAlchemyError:  # the database is down: /readyz says so; scrape the rest
            log.warning("periodic_task_metrics_unavailable", exc_info=True)
            return
        yield from _families(liveness)


def _families(liveness: SchedulerLiveness) -> Iterator[Metric]:
    prefix = "mkopo_periodic_task"
    age = GaugeMetricFamily(
        f"{prefix}_last_run_age_seconds", "Since it last started", labels=["task"]
    )
    overdue = GaugeMetricFamily(f"{prefix}_overdue", "1 when past its bound", labels=["task"])
    duration = GaugeMetricFamily(
        f"{prefix}_last_duration_seconds", "Wall time of the last run", labels=["task"]
    )
    runs = CounterMetricFamily(f"{prefix}_runs", "Runs finished", labels=["task"])
    failures = CounterMetricFamily(f"{prefix}_failures", "Runs that failed", labels=["task"])
    in_a_row = GaugeMetricFamily(
        f"{prefix}_consecutive_failures", "Failed runs since the last success", labels=["task"]
    )
    for task in liveness.tasks:
        name = [task.periodic.task]
        overdue.add_metric(name, 1 if task.overdue else 0)
        beat = task.heartbeat
        if beat is None:
            continue
        if task.age_s is not None:
            age.add_metric(name, task.age_s)
        if beat.last_duration_ms is not None:
            duration.add_metric(name, beat.last_duration_ms / 1000)
        runs.add_metric(name, beat.runs_total)
        failures.add_metric(name, beat.failures_total)
        in_a_row.add_metric(name, beat.failures_consecutive)
    yield from (age, overdue, duration, runs, failures, in_a_row)
