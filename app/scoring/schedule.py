"""Rescoring: every borrower again ``LimitPolicy.rescore_interval`` after their last
decision, and at once after a loan is repaid or defaults.

An event does not score in its own transaction (the repayment is one use case, the scoring
another, with a provider call between): it marks the borrower due now
(``app.scoring.marks.mark_due``), in the event's transaction, so the request cannot be
lost. The sweep (a beat task, every minute) takes the borrowers due, oldest first, in
batches for at most 45 s; it fetches each wallet statement outside any transaction, then
scores each borrower in a transaction of their own. A borrower whose mark moved meanwhile
(scored by another sweep) is skipped; one whose scoring fails (a provider error, say) is
logged and tried again an hour later, so one bad record never holds up the others.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update

from app.borrowers.models import Borrower, BorrowerStatus
from app.borrowers.service import get_borrower
from app.clock import Clock, business_date
from app.db.session import Sessions
from app.lending.limits import LimitPolicy
from app.ports import Ports
from app.scoring.decisions import HISTORY_DAYS, ScoringEvidence, decide
from app.scoring.models import Trigger

DEFAULT_BATCH = 200
DEFAULT_BUDGET_S = 45.0
"""Under the beat interval (60 s), so runs do not pile up."""
RETRY_AFTER = timedelta(hours=1)
log = structlog.get_logger("mkopo.scoring")


@dataclass(frozen=True)
class SweepResult:
    scored: int
    skipped: int
    failed: int = 0


def rescore_due(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    policy: LimitPolicy,
    batch: int = DEFAULT_BATCH,
    budget_s: float = DEFAULT_BUDGET_S,
) -> SweepResult:
    """Score the borrowers due now, a batch at a time, until none is left or ``budget_s``
    has passed (a run never overlaps the next one by much; the rest waits a minute)."""
    started = time.monotonic()
    total = SweepResult(0, 0, 0)
    while True:
        done = _sweep_batch(sessions, ports, clock, policy, batch)
        total = SweepResult(
            total.scored + done.scored, total.skipped + done.skipped, total.failed + done.failed
        )
        taken = done.scored + done.skipped + done.failed
        if taken < batch or time.monotonic() - started >= budget_s:
            return total


def _sweep_batch(
    sessions: Sessions, ports: Ports, clock: Clock, policy: LimitPolicy, batch: int
) -> SweepResult:
    now = clock()
    with sessions.reader() as session:
        due = session.execute(
            select(Borrower.id, Borrower.phone_enc, Borrower.rescore_due_at)
            .where(Borrower.status == BorrowerStatus.ACTIVE, Borrower.rescore_due_at <= now)
            .order_by(Borrower.rescore_due_at, Borrower.id)
            .limit(batch)
        ).all()
    today = business_date(now)
    scored = skipped = failed = 0
    for row in due:
        try:
            wallet = ports.wallets.history(
                ports.cipher.decrypt(row.phone_enc), today - timedelta(days=HISTORY_DAYS), today
            )
            with sessions.unit_of_work() as session:
                borrower = get_borrower(session, row.id, lock=True)
                if borrower.rescore_due_at != row.rescore_due_at:
                    skipped += 1
                    continue
                trigger = Trigger(borrower.rescore_trigger or Trigger.SCHEDULED.value)
                decide(session, policy, borrower, ScoringEvidence(wallet), trigger, clock())
                scored += 1
        except Exception:  # one borrower's failure must not stop the sweep: retried later
            log.exception("rescore_failed", borrower_id=row.id)
            _defer(sessions, row.id, row.rescore_due_at, clock() + RETRY_AFTER)
            failed += 1
    return SweepResult(scored, skipped, failed)


def _defer(sessions: Sessions, borrower_id: int, was_due: datetime, retry_at: datetime) -> None:
    with sessions.unit_of_work() as session:
        session.execute(
            update(Borrower)
            .where(Borrower.id == borrower_id, Borrower.rescore_due_at == was_due)
            .values(rescore_due_at=retry_at)
        )
