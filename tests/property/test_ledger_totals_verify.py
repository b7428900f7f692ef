"""``verify`` and the accounts' running totals, as properties: after any sequence of valid
writes (posts, holds posted whole or in part, voided, reversals) verify finds every total
equal to its postings; and any change of one total behind the guard's back is named — that
account, that column, nothing else. (The ledger state machine checks the first after every
step of its longer walks too.)"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError

from app.db.engine import Database
from app.db.session import Sessions
from ledger import EntryRequest, Ledger, LedgerError, PostingLine
from ledger.balance_guard import BALANCE_COLUMNS
from tests.support.books import Chart
from tests.support.clock import FrozenClock
from tests.support.ledger_ops import funded_chart
from tests.support.tamper import tamper

TOTALS_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
serial = itertools.count(1)


@pytest.fixture
def books(database: Database) -> tuple[Sessions, Chart]:
    sessions = Sessions(database)
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, FrozenClock())
        chart = funded_chart(ledger, 10_000_000)
    return sessions, chart


Write = tuple[str, int, int, int]
"""what (post, hold, post_hold, void_hold, reverse), from, to, amount"""
writes = st.lists(
    st.tuples(
        st.sampled_from(["post", "hold", "post_hold", "void_hold", "reverse"]),
        st.integers(0, 7),
        st.integers(0, 7),
        st.integers(1, 50_000),
    ),
    max_size=8,
)


def apply(ledger: Ledger, chart: Chart, write: Write, made: list[int]) -> None:
    """One write; refusals (an overdraft, a hold already resolved) are part of the game."""
    what, a, b, amount = write
    accounts = list(vars(chart).values())
    debit, credit = accounts[a].id, accounts[b].id
    key = f"p{next(serial)}"
    request = EntryRequest(
        key, [PostingLine.debit(debit, amount), PostingLine.credit(credit, amount)]
    )
    try:
        if what == "post" and debit != credit:
            made.append(ledger.post(request).id)
        elif what == "hold" and debit != credit:
            made.append(ledger.hold(request).id)
        elif what in ("post_hold", "void_hold", "reverse") and made:
            target = made[amount % len(made)]
            getattr(ledger, what)(target, key)
    except LedgerError:
        pass


@TOTALS_SETTINGS
@given(
    writes=writes,
    account=st.integers(0, 7),
    column=st.sampled_from(BALANCE_COLUMNS),
    delta=st.integers(-(10**9), 10**9).filter(bool),
)
def test_verify_is_clean_after_valid_writes_and_names_one_tampered_total(
    books: tuple[Sessions, Chart], writes: list[Write], account: int, column: str, delta: int
) -> None:
    sessions, chart = books
    clock = FrozenClock()
    made: list[int] = []
    for write in writes:
        with sessions.unit_of_work() as session:
            apply(Ledger(session, clock), chart, write, made)
    with sessions.reader() as session:
        clean = Ledger(session, clock).verify([])
    assert (clean.ok, clean.totals_mismatches) == (True, ())

    target = list(vars(chart).values())[account]
    change = f"UPDATE ledger_accounts SET {column} = {column} + {{}} WHERE id = {target.id}"
    try:
        tamper(sessions.database, change.format(delta))
    except IntegrityError:  # a CHECK constraint (no negative total, no overdraft) said no
        reject()
    try:
        with sessions.reader() as session:
            report = Ledger(session, clock).verify([])
        assert (report.ok, report.mismatched_accounts) == (False, 1)
        [named] = report.totals_mismatches
        index = BALANCE_COLUMNS.index(column)
        moved = [s - r for s, r in zip(named.stored, named.recomputed, strict=True)]
        assert (named.code, moved) == (target.code, [delta if i == index else 0 for i in range(4)])
    finally:
        tamper(sessions.database, change.format(-delta))
