"""Both write paths, one table of cases: each case runs through the public ``Ledger`` API on
SQLite (the Python path, ``ledger.write_path_sqlite``) and on PostgreSQL (``ledger_write``,
``ledger.write_path_pg``), and must end the same way on both.

The books of every case: a chart with KES 1,000 of capital in the float, then ``pay-1``
(5 more into the float), an open hold of 10 out of the float (expiring in an hour) and a
closed spare account. The float starts each case at posted 100,500 cents, available 99,500.

A refused case raises its typed error, leaves the caller's transaction usable and, after
the commit, nothing written; an accepted one writes ``new_entries`` entries and leaves the
float as said. In every case the accounts' totals still equal their postings, and a write
that reached a path reached the one of its database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import ledger.write_path
from app.db.engine import Database
from app.db.session import Sessions
from ledger import Entry, EntryRequest, Ledger, PostingLine
from ledger.balance_check import check_totals
from ledger.errors import (
    AccountClosed,
    HoldExpired,
    HoldNotPending,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidEntry,
    NotReversible,
    PostExceedsHold,
    UnbalancedEntry,
    UnknownAccount,
)
from tests.support.clock import FrozenClock
from tests.support.write_cases import Books, Case, Opening, open_books, snapshot

D, C = PostingLine.debit, PostingLine.credit


def _twice(first: Callable[[Books], Any], then: Callable[[Books], Any]) -> Callable[[Books], Any]:
    def act(books: Books) -> Any:
        first(books)
        return then(books)

    return act


def _expired(books: Books) -> list[Entry]:
    books.clock.advance(hours=2)
    return books.ledger.expire_holds()


def _post_expired(books: Books) -> Entry:
    books.clock.advance(hours=2)
    return books.ledger.post_hold(books.hold.id, "hold:late")


CASES = [
    Case(
        "a balanced entry is posted",
        lambda b: b.ledger.post(b.pay_in("in-2", 700)),
        new_entries=1,
        float_after=(101_200, 100_200),
        returns=lambda b, e: not e.replayed and len(e.postings) == 2,
    ),
    Case(
        "an unbalanced entry is refused",
        lambda b: b.ledger.post(
            EntryRequest("k", [D(b.chart.float.id, 100), C(b.chart.capital.id, 99)])
        ),
        UnbalancedEntry,
    ),
    Case(
        "the float pays out exactly its available balance",
        lambda b: b.ledger.post(b.pay_out("out", 99_500)),
        new_entries=1,
        float_after=(1_000, 0),
    ),
    Case(
        "the float is not overdrawn, its hold counted",
        lambda b: b.ledger.post(b.pay_out("out", 99_501)),
        InsufficientFunds,
    ),
    Case(
        "a savings account does not go below zero",
        lambda b: b.ledger.post(b.move("k", b.chart.savings_long.id, b.chart.capital.id, 1)),
        InsufficientFunds,
    ),
    Case(
        "a closed account is refused",
        lambda b: b.ledger.post(b.move("k", b.spare_id, b.chart.capital.id, 5)),
        AccountClosed,
    ),
    Case(
        "an unknown account is refused",
        lambda b: b.ledger.post(b.move("k", b.chart.float.id, 987_654, 5)),
        UnknownAccount,
    ),
    Case(
        "a replayed key returns the first entry and writes nothing",
        lambda b: b.ledger.post(  # the same postings in another order: the same request
            EntryRequest("pay-1", [C(b.chart.capital.id, 500), D(b.chart.float.id, 500)])
        ),
        returns=lambda b, e: (e.id, e.replayed) == (b.pay_1.id, True),
    ),
    Case(
        "a key reused with other content is refused",
        lambda b: b.ledger.post(b.pay_in("pay-1", 501)),
        IdempotencyConflict,
    ),
    Case(
        "a batch is posted whole",
        lambda b: b.ledger.post_many([b.pay_in("b1", 100), b.pay_out("b2", 200)]),
        new_entries=2,
        float_after=(100_400, 99_400),
    ),
    Case(
        "a batch with one overdraft leaves nothing",
        lambda b: b.ledger.post_many([b.pay_out("b1", 500), b.pay_out("b2", 99_001)]),
        InsufficientFunds,
    ),
    Case(
        "a batch replaying a key writes only the new entry",
        lambda b: b.ledger.post_many([b.pay_in("pay-1", 500), b.pay_in("b2", 100)]),
        new_entries=1,
        float_after=(100_600, 99_600),
        returns=lambda b, es: [e.replayed for e in es] == [True, False] and es[0].id == b.pay_1.id,
    ),
    Case(
        "a batch repeating a key is refused",
        lambda b: b.ledger.post_many([b.pay_in("b1", 1), b.pay_in("b1", 1)]),
        InvalidEntry,
    ),
    Case("an empty batch is refused", lambda b: b.ledger.post_many([]), InvalidEntry),
    Case(
        "a hold reserves the float",
        lambda b: b.ledger.hold(b.pay_out("hold-2", 2_000)),
        new_entries=1,
        float_after=(100_500, 97_500),
    ),
    Case(
        "a hold over the available float is refused",
        lambda b: b.ledger.hold(b.pay_out("hold-2", 99_501)),
        InsufficientFunds,
    ),
    Case(
        "a hold posted in full moves the float",
        lambda b: b.ledger.post_hold(b.hold.id, "hold:post"),
        new_entries=1,
        float_after=(99_500, 99_500),
    ),
    Case(
        "a hold posted in part releases the rest",
        lambda b: b.ledger.post_hold(b.hold.id, "hold:post", amounts=[600, 600]),
        new_entries=1,
        float_after=(99_900, 99_900),
    ),
    Case(
        "a hold voided gives the float back",
        lambda b: b.ledger.void_hold(b.hold.id, "hold:void"),
        new_entries=1,
        float_after=(100_500, 100_500),
    ),
    Case(
        "a hold past its time is expired by the sweep",
        _expired,
        new_entries=1,
        float_after=(100_500, 100_500),
        returns=lambda b, es: [e.pending_entry_id for e in es] == [b.hold.id],
    ),
    Case("a hold past its time cannot be posted", _post_expired, HoldExpired),
    Case(
        "posting more than a hold reserved is refused",
        lambda b: b.ledger.post_hold(b.hold.id, "hold:post", amounts=[1_001, 1_001]),
        PostExceedsHold,
    ),
    Case(
        "posting a hold unbalanced is refused",
        lambda b: b.ledger.post_hold(b.hold.id, "hold:post", amounts=[900, 800]),
        UnbalancedEntry,
    ),
    Case(
        "a hold is resolved once",
        _twice(
            lambda b: b.ledger.void_hold(b.hold.id, "hold:void"),
            lambda b: b.ledger.post_hold(b.hold.id, "hold:post"),
        ),
        HoldNotPending,
        new_entries=1,
        float_after=(100_500, 100_500),
    ),
    Case(
        "a reversal mirrors the entry",
        lambda b: b.ledger.reverse(b.pay_1.id, "pay-1:rev"),
        new_entries=1,
        float_after=(100_000, 99_000),
        returns=lambda b, e: e.reversed_entry_id == b.pay_1.id,
    ),
    Case(
        "an entry is reversed once",
        _twice(
            lambda b: b.ledger.reverse(b.pay_1.id, "pay-1:rev"),
            lambda b: b.ledger.reverse(b.pay_1.id, "pay-1:rev-2"),
        ),
        NotReversible,
        new_entries=1,
        float_after=(100_000, 99_000),
    ),
]


@pytest.fixture
def opening(sessions: Sessions, clock: FrozenClock) -> Opening:
    return open_books(sessions, clock)


@pytest.fixture
def paths_taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The write paths the dispatcher handed batches to, in order."""
    taken: list[str] = []
    for name, dialect in (("write_items_pg", "postgresql"), ("write_items_sqlite", "sqlite")):
        path = getattr(ledger.write_path, name)

        def spy(*args: Any, _path: Any = path, _dialect: str = dialect) -> Any:
            taken.append(_dialect)
            return _path(*args)

        monkeypatch.setattr(ledger.write_path, name, spy)
    return taken


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_both_write_paths_end_each_case_alike(
    database: Database,
    sessions: Sessions,
    clock: FrozenClock,
    opening: Opening,
    paths_taken: list[str],
    case: Case,
) -> None:
    entries_before, postings_before, totals_before = snapshot(sessions)
    with sessions.unit_of_work() as session:
        ledger_ = Ledger(session, clock)
        state = Books(ledger_, clock, opening)
        if case.refused is None:
            assert case.returns(state, case.act(state))
        else:
            with pytest.raises(case.refused):
                case.act(state)
        # The caller's transaction stays usable: a refusal rolled back only itself.
        float_ = ledger_.balance(state.chart.float.id)
        assert (float_.posted_minor, float_.available_minor) == case.float_after
    entries, postings, totals = snapshot(sessions)
    assert entries == entries_before + case.new_entries
    if case.new_entries == 0:
        assert (postings, totals) == (postings_before, totals_before)
    assert set(paths_taken) <= {database.dialect}
    if case.new_entries or case.refused is InsufficientFunds:
        assert paths_taken, "a write that moves or checks balances goes through a path"
    with database.read_engine.connect() as conn:
        assert check_totals(conn).ok
