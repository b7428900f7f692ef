"""Sweeping rows one at a time, so that one bad row never stops the others.

A scheduled sweep takes a batch of due rows and moves each forward in transactions of its
own. Run each row's step inside ``RowFailures.row(row_id)``: a row that raises is logged
(its id and the exception's class) and the sweep carries on with the next one. At the end,
``raise_if_any`` raises ``SweepIncomplete``, so the run counts as failed in the task's
heartbeat (the metrics, the admin operations view) although every other row has moved.

Invariant: a sweep never stops at a row; only the end of its budget (Celery's soft time
limit) stops it early.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import structlog
from celery.exceptions import SoftTimeLimitExceeded

SHOWN_IDS = 20
log = structlog.get_logger("mkopo.sweeps")


class SweepIncomplete(Exception):
    """Some rows of a sweep failed; the others were moved forward."""

    def __init__(self, sweep: str, failed: int, row_ids: list[int] | None = None) -> None:
        shown = f": {row_ids[:SHOWN_IDS]}" if row_ids else ""
        super().__init__(f"{sweep}: {failed} row(s) failed{shown}")
        self.sweep = sweep
        self.failed = failed
        self.row_ids = row_ids or []


@dataclass
class RowFailures:
    sweep: str
    row_ids: list[int] = field(default_factory=list)

    @contextmanager
    def row(self, row_id: int) -> Iterator[None]:
        try:
            yield
        except SoftTimeLimitExceeded:  # the run's budget is spent: stop, do not skip
            raise
        except Exception as exc:
            log.exception(
                "sweep_row_failed", sweep=self.sweep, row_id=row_id, error=type(exc).__name__
            )
            self.row_ids.append(row_id)

    def raise_if_any(self) -> None:
        if self.row_ids:
            raise SweepIncomplete(self.sweep, len(self.row_ids), self.row_ids)
