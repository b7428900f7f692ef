"""Rescoring: every borrower again ``LimitPolicy.rescore_interval`` after their last
decision, and at once after a loan is repaid or defaults.

An event does not score in its own transaction (the repayment is one use case, the scoring
another, with a provider call between): it marks the borrower due now
(``app.scoring.marks.mark_due``), in the event's transaction, so the request cannot be
lost. The sweep (a beat task, every minute) takes the borrowers due, oldest first, fetches
each wallet statement outside any transaction, then scores each borrower in a transaction of
their own; a borrower whose mark moved meanwhile (scored by another sweep) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.borrowers.models import Borrower, BorrowerStatus
from app.borrowers.service import get_borrower
from app.clock import Clock, business_date
from app.db.session import Sessions
from app.lending.limits import LimitPolicy
from app.ports import Ports
from app.scoring.decisions import HISTORY_DAYS, decide
from app.scoring.models import Trigger

DEFAULT_BATCH = 200


@dataclass(frozen=True)
class SweepResult:
    scored: int
    skipped: int


def rescore_due(
    sessions: Sessions,
    ports: Ports,
    clock: Clock,
    policy: LimitPolicy,
    batch: int = DEFAULT_BATCH,
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
    scored = skipped = 0
    for row in due:
        wallet = ports.wallets.history(
            ports.cipher.decrypt(row.phone_enc), today - timedelta(days=HISTORY_DAYS), today
        )
        with sessions.unit_of_work() as session:
            borrower = get_borrower(session, row.id, lock=True)
            if borrower.rescore_due_at != row.rescore_due_at:
                skipped += 1
                continue
            trigger = Trigger(borrower.rescore_trigger or Trigger.SCHEDULED.value)
            decide(session, policy, borrower, wallet, trigger, clock())
            scored += 1
    return SweepResult(scored, skipped)
