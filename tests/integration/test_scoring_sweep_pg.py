"""Two rescoring sweeps at once, on PostgreSQL with real threads: each due borrower is scored
exactly once (the row lock plus the due-time check), and every borrower's next review moves
four months on."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.borrowers.models import Borrower
from app.lending.limits import LimitPolicy
from app.scoring.models import ScoreDecision
from app.scoring.schedule import SweepResult, rescore_due
from tests.support.lending import Fund
from tests.support.scoring import store_active

BORROWERS = 12
SWEEPS = 3


def test_concurrent_sweeps_score_each_due_borrower_once(pg_fund: Fund) -> None:
    fund = pg_fund
    with fund.sessions.unit_of_work() as session:
        store_active(session, fund.clock())
    ids = [fund.register(f"3{i:06d}0", f"07123456{10 + 3 * i:02d}") for i in range(BORROWERS)]
    fund.clock.advance(days=120)
    start = threading.Barrier(SWEEPS)
    results: list[SweepResult] = []
    failures: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait()
            results.append(rescore_due(fund.sessions, fund.ports, fund.clock, LimitPolicy()))
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(SWEEPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(r.scored for r in results) == BORROWERS
    with fund.sessions.reader() as session:
        per_borrower = dict(
            session.execute(
                select(ScoreDecision.borrower_id, func.count())
                .where(ScoreDecision.trigger == "scheduled")
                .group_by(ScoreDecision.borrower_id)
            ).all()
        )
        next_reviews = set(session.scalars(select(Borrower.rescore_due_at)).all())
    assert per_borrower == dict.fromkeys(ids, 1)
    assert next_reviews == {fund.clock() + LimitPolicy().rescore_interval}
