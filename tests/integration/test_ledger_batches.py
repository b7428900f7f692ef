"""Batches: many entries in one transaction, all or none, one balance update per account."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.db.engine import Database
from app.db.session import Sessions
from ledger import EntryRequest, Ledger, PostingLine
from tests.support.books import open_chart
from tests.support.clock import FrozenClock

D, C = PostingLine.debit, PostingLine.credit


def test_a_day_of_repayments_posts_as_one_batch(sessions: Sessions, clock: FrozenClock) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = open_chart(ledger)
        receipts = [
            EntryRequest(
                f"mpesa:R{i}", [D(chart.float.id, 1_000 + i), C(chart.principal.id, 1_000 + i)]
            )
            for i in range(50)
        ]
        ledger.post(
            EntryRequest("lend", [D(chart.principal.id, 100_000), C(chart.capital.id, 100_000)])
        )
        entries = ledger.post_many(receipts)
        assert [e.idempotency_key for e in entries] == [r.idempotency_key for r in receipts]
        assert ledger.balance(chart.float.id).posted_minor == sum(1_000 + i for i in range(50))
        again = ledger.post_many(receipts)
        assert [e.id for e in again] == [e.id for e in entries]
        assert all(e.replayed for e in again)
        assert ledger.trial_balance().net_by_currency == {"KES": 0}


@pytest.mark.postgres
def test_concurrent_batches_over_shared_accounts_never_deadlock(
    pg_database: Database, clock: FrozenClock
) -> None:
    sessions = Sessions(pg_database)
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = open_chart(ledger)
        accounts = [
            chart.float.id,
            chart.capital.id,
            chart.principal.id,
            chart.interest_receivable.id,
            chart.interest_income.id,
        ]
    start = threading.Barrier(8)

    def writer(n: int) -> int:
        rng = random.Random(n)
        start.wait()
        for b in range(10):
            batch = []
            for i in range(50):
                debit, credit = rng.sample(accounts[1:], 2)
                batch.append(EntryRequest(f"w{n}-b{b}-{i}", [D(debit, 7), C(credit, 7)]))
            with sessions.unit_of_work() as session:
                Ledger(session, clock).post_many(batch)
        return 500

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(writer, range(8))) == 4_000
    with sessions.reader() as session:
        assert Ledger(session, clock).trial_balance().net_by_currency == {"KES": 0}
