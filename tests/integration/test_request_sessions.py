"""``RequestSessions``: a request's sessions never hold two connections at once, on SQLite and
PostgreSQL. The connections checked out are counted at the pool, so the rule is checked where
it matters, not through the sessions' own bookkeeping."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import event, select, text

from app.borrowers.models import Borrower
from app.db.engine import Database
from app.db.session import RequestSessions, SecondConnection, Sessions
from tests.support.lending import Fund


@dataclass
class Held:
    now: int = 0
    most: int = 0


@pytest.fixture
def held(database: Database) -> Iterator[Held]:
    count = Held()
    engines = {database.write_engine, database.read_engine}

    def checkout(*_: object) -> None:
        count.now += 1
        count.most = max(count.most, count.now)

    def checkin(*_: object) -> None:
        count.now -= 1

    for engine in engines:
        event.listen(engine.pool, "checkout", checkout)
        event.listen(engine.pool, "checkin", checkin)
    yield count
    for engine in engines:
        event.remove(engine.pool, "checkout", checkout)
        event.remove(engine.pool, "checkin", checkin)


def test_a_read_then_a_unit_of_work_hold_one_connection_at_a_time(
    fund: Fund, sessions: Sessions, held: Held
) -> None:
    borrower_id = fund.register()
    request = RequestSessions(sessions)
    with request.reader() as read:  # the token check: open for the whole request
        borrower = read.get(Borrower, borrower_id)
        assert held.now == 1
        with request.unit_of_work() as write:
            write.execute(text("SELECT 1"))
            assert held.now == 1  # the read gave its connection back first
        assert borrower is not None
        assert borrower.id == borrower_id  # what the read loaded stays usable
        assert read.scalar(select(Borrower.id).where(Borrower.id == borrower_id)) == borrower_id
    assert held.most == 1
    assert held.now == 0


def test_a_report_snapshot_makes_way_like_any_read(
    fund: Fund, sessions: Sessions, held: Held
) -> None:
    fund.register()
    request = RequestSessions(sessions)
    with request.reader() as staff_check, request.snapshot() as report:
        staff_check.execute(text("SELECT 1"))
        report.execute(text("SELECT 1"))
        staff_check.execute(text("SELECT 1"))
    assert held.most == 1


def test_a_read_inside_the_unit_of_work_is_refused(sessions: Sessions, held: Held) -> None:
    request = RequestSessions(sessions)
    with request.reader() as read, request.unit_of_work() as write:
        write.execute(text("SELECT 1"))
        with pytest.raises(SecondConnection):
            read.execute(text("SELECT 1"))
    assert held.most == 1


def test_plain_sessions_track_nothing(sessions: Sessions, held: Held) -> None:
    """Workers and the CLI are not requests: their sessions are independent."""
    with sessions.reader() as read, sessions.unit_of_work() as write:
        read.execute(text("SELECT 1"))
        write.execute(text("SELECT 1"))
        assert held.now == 2
