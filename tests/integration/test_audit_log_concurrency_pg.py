"""Many staff acting at once on PostgreSQL: the audit chain stays one chain, without gaps.
Real threads, each with its own connection and transaction."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from app.audit.chain import verify_chain
from app.audit.log import Actor, record
from app.audit.models import AuditRecord
from app.db.engine import Database
from app.db.session import Sessions
from tests.support.clock import FrozenClock

pytestmark = pytest.mark.postgres
THREADS = 8
APPENDS_PER_THREAD = 40


def test_8_threads_x_40_appends_keep_one_chain(pg_database: Database, clock: FrozenClock) -> None:
    sessions = Sessions(pg_database)
    start = threading.Barrier(THREADS)

    def staff_member(n: int) -> int:
        actor = Actor(f"staff-{n}", "admin", f"req-{n}")
        start.wait()
        for i in range(APPENDS_PER_THREAD):
            with sessions.unit_of_work() as session:
                # some work before the append, as a real use case does, to widen the race
                session.execute(select(AuditRecord.id).limit(1))
                record(session, actor, "borrower.view", ("borrower", i), clock(), after={"n": i})
        return APPENDS_PER_THREAD

    with ThreadPoolExecutor(THREADS) as pool:
        assert sum(pool.map(staff_member, range(THREADS))) == THREADS * APPENDS_PER_THREAD

    with sessions.reader() as session:
        report = verify_chain(session)
        rows = session.execute(
            select(AuditRecord.id, AuditRecord.prev_hash, AuditRecord.actor)
        ).all()
    total = THREADS * APPENDS_PER_THREAD
    assert report.ok, report.first_break
    assert (report.records_checked, report.head_length) == (total, total)
    assert sorted(r.id for r in rows) == list(range(1, total + 1))
    assert len({r.prev_hash for r in rows}) == total  # no two records share a predecessor
    assert {r.actor for r in rows} == {f"staff-{n}" for n in range(THREADS)}
