"""Sealed blocks: signed, chained, and any later change is found and named by verify."""

from __future__ import annotations

import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from app.db.engine import Database
from app.db.session import Sessions
from ledger import EntryRequest, Ledger, PostingLine
from ledger.verification import VerifyReport
from tests.support.books import Chart, open_chart
from tests.support.clock import FrozenClock

D, C = PostingLine.debit, PostingLine.credit


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def post_deposits(
    sessions: Sessions, clock: FrozenClock, chart: Chart, start: int, count: int
) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        for i in range(start, start + count):
            ledger.post(
                EntryRequest(
                    f"dep-{i}",
                    [D(chart.float.id, 100 + i), C(chart.capital.id, 100 + i)],
                    f"deposit {i}",
                    metadata={"n": i},
                )
            )


def seal_all(sessions: Sessions, clock: FrozenClock, key: Ed25519PrivateKey) -> int:
    blocks = 0
    while True:
        with sessions.unit_of_work() as session:
            if Ledger(session, clock).seal_next_block(key) is None:
                return blocks
        blocks += 1


def verify(sessions: Sessions, clock: FrozenClock, key: Ed25519PrivateKey) -> VerifyReport:
    with sessions.reader() as session:
        return Ledger(session, clock).verify([key.public_key()])


def tamper(database: Database, statement: str) -> None:
    """Change sealed rows the way a database superuser could, bypassing the guards."""
    with database.write_engine.begin() as conn:
        if database.dialect == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(statement))
        else:
            triggers = conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for name, _sql in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
            conn.execute(text(statement))
            for _name, sql in triggers:
                conn.execute(text(sql))


@pytest.fixture
def sealed_books(sessions: Sessions, clock: FrozenClock, key: Ed25519PrivateKey) -> Chart:
    with sessions.unit_of_work() as session:
        chart = open_chart(Ledger(session, clock))
    post_deposits(sessions, clock, chart, 0, 5)
    assert seal_all(sessions, clock, key) == 1
    post_deposits(sessions, clock, chart, 5, 5)
    assert seal_all(sessions, clock, key) == 1
    return chart


def test_a_clean_ledger_verifies_block_by_block(
    sessions: Sessions, clock: FrozenClock, key: Ed25519PrivateKey, sealed_books: Chart
) -> None:
    report = verify(sessions, clock, key)
    assert (report.ok, report.blocks_checked, report.entries_checked) == (True, 2, 10)
    assert report.unsealed_entries == 0


def test_new_entries_wait_in_the_queue_until_sealed(
    sessions: Sessions, clock: FrozenClock, key: Ed25519PrivateKey, sealed_books: Chart
) -> None:
    post_deposits(sessions, clock, sealed_books, 10, 3)
    assert verify(sessions, clock, key).unsealed_entries == 3
    seal_all(sessions, clock, key)
    assert verify(sessions, clock, key).unsealed_entries == 0


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (
            "UPDATE ledger_entries SET description = 'nothing to see' WHERE id = 3",
            "entry 3 (block 1) was altered after sealing",
        ),
        (
            "UPDATE ledger_postings SET amount_minor = amount_minor + 1 WHERE entry_id = 7",
            "entry 7 (block 2) was altered after sealing",
        ),
        (
            "UPDATE ledger_entries SET meta = '{\"n\": 99}' WHERE id = 9",
            "entry 9 (block 2) was altered after sealing",
        ),
        (
            "UPDATE ledger_seal_blocks SET entries_hash = "
            "'0000000000000000000000000000000000000000000000000000000000000000' WHERE height = 1",
            "block 1 header was altered",
        ),
        (
            "UPDATE ledger_seal_members SET entry_hash = "
            "'1111111111111111111111111111111111111111111111111111111111111111' WHERE entry_id = 2",
            "block 1 member list was altered",
        ),
        ("DELETE FROM ledger_seal_members WHERE entry_id = 4", "block 1 member list was altered"),
        (
            "UPDATE ledger_seal_blocks SET prev_hash = "
            "'2222222222222222222222222222222222222222222222222222222222222222' WHERE height = 2",
            "block 2 does not chain to block 1",
        ),
    ],
)
def test_tampering_with_sealed_rows_is_reported_by_verify(
    database: Database,
    sessions: Sessions,
    clock: FrozenClock,
    key: Ed25519PrivateKey,
    sealed_books: Chart,
    statement: str,
    named: str,
) -> None:
    tamper(database, statement)
    report = verify(sessions, clock, key)
    assert report.ok is False
    assert report.first_break is not None
    assert report.first_break.startswith(named)


def test_blocks_signed_by_an_unknown_key_do_not_verify(
    sessions: Sessions, clock: FrozenClock, key: Ed25519PrivateKey, sealed_books: Chart
) -> None:
    with sessions.reader() as session:
        report = Ledger(session, clock).verify([Ed25519PrivateKey.generate().public_key()])
    assert report.first_break == f"block 1 is signed by unknown key {_key_id(key)}"


def _key_id(key: Ed25519PrivateKey) -> str:
    from ledger.signing import key_id

    return key_id(key.public_key())


@pytest.mark.postgres
def test_an_entry_that_commits_late_with_a_lower_id_is_sealed_in_a_later_block(
    pg_database: Database, clock: FrozenClock, key: Ed25519PrivateKey
) -> None:
    sessions = Sessions(pg_database)
    with sessions.unit_of_work() as session:
        chart = open_chart(Ledger(session, clock))
    inserted, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with sessions.unit_of_work() as session:
            # Other accounts than the deposit's, so neither writer waits on the other's locks.
            Ledger(session, clock).post(
                EntryRequest("slow", [D(chart.principal.id, 1), C(chart.savings_long.id, 1)])
            )
            inserted.set()
            release.wait(10)

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert inserted.wait(10)
    post_deposits(sessions, clock, chart, 0, 1)  # commits first, with the higher id
    assert seal_all(sessions, clock, key) == 1
    release.set()
    thread.join(10)
    assert verify(sessions, clock, key).unsealed_entries == 1
    assert seal_all(sessions, clock, key) == 1
    report = verify(sessions, clock, key)
    assert (report.ok, report.blocks_checked, report.entries_checked) == (True, 2, 2)
