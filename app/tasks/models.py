"""The heartbeat of each periodic task: when beat started watching it, when it last ran,
how long that took, and how often it has failed.

One row per Celery task name. Beat sets ``watched_since`` when it starts; a worker writes
``last_started_at`` as a run begins and the outcome as it ends, each in a transaction of
its own (never the task's), so a task that fails still leaves its mark.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import UTCDateTime


class Outcome(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"


class TaskHeartbeat(Base):
    __tablename__ = "task_heartbeats"
    __table_args__ = (
        CheckConstraint("last_outcome IN ('ok', 'failed')", name="outcome_known"),
        CheckConstraint(
            "failures_consecutive >= 0 AND failures_consecutive <= failures_total "
            "AND failures_total <= runs_total",
            name="counts_consistent",
        ),
        CheckConstraint("last_duration_ms >= 0", name="duration_not_negative"),
    )

    task: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The Celery task name, e.g. ``mpesa.process_callbacks``."""
    watched_since: Mapped[datetime] = mapped_column(UTCDateTime())
    """When beat last started with this task in its schedule (or the first run was seen)."""
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    """Wall time of the last finished run, measured on the worker's monotonic clock."""
    last_outcome: Mapped[str | None] = mapped_column(String(8))
    last_error: Mapped[str | None] = mapped_column(String(128))
    """The last failed run's exception, by class name only (messages may carry personal
    data); kept after a success, for the operator who asks what it was."""
    runs_total: Mapped[int] = mapped_column(Integer, default=0)
    failures_total: Mapped[int] = mapped_column(Integer, default=0)
    failures_consecutive: Mapped[int] = mapped_column(Integer, default=0)
    """Failed runs since the last success: the number an operator alerts on."""
