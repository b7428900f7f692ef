"""Every malformed or forbidden request is a typed error and writes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from app.db.session import Sessions
from ledger import AccountSpec, AccountType, EntryRequest, Ledger, PostingLine
from ledger.errors import (
    AccountNotEmpty,
    CurrencyMismatch,
    DuplicateAccountCode,
    HoldNotPending,
    InvalidEntry,
    LedgerError,
    UnbalancedEntry,
    UnknownEntry,
)
from ledger.schema import JournalEntry, Posting
from tests.support.books import Chart
from tests.support.clock import FrozenClock
from tests.support.ledger_ops import funded_chart

D, C = PostingLine.debit, PostingLine.credit


@pytest.fixture
def chart(sessions: Sessions, clock: FrozenClock) -> Chart:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 100_000)
    return chart


def counts(sessions: Sessions) -> tuple[int, int]:
    with sessions.reader() as session:
        return (
            session.scalar(select(func.count()).select_from(JournalEntry)) or 0,
            session.scalar(select(func.count()).select_from(Posting)) or 0,
        )


Attempt = Callable[[Ledger, Chart], object]
CASES: list[tuple[str, Attempt, type[LedgerError]]] = [
    (
        "zero amount",
        lambda lg, ch: lg.post(EntryRequest("k", [D(ch.float.id, 0), C(ch.capital.id, 0)])),
        InvalidEntry,
    ),
    (
        "negative amount",
        lambda lg, ch: lg.post(EntryRequest("k", [D(ch.float.id, -5), C(ch.capital.id, -5)])),
        InvalidEntry,
    ),
    (
        "float amount",
        lambda lg, ch: lg.post(
            EntryRequest(
                "k",
                [
                    D(ch.float.id, 1.5),  # type: ignore[arg-type]
                    C(ch.capital.id, 1.5),
                ],
            )
        ),  # type: ignore[arg-type]
        InvalidEntry,
    ),
    ("one posting", lambda lg, ch: lg.post(EntryRequest("k", [D(ch.float.id, 5)])), InvalidEntry),
    (
        "only debits",
        lambda lg, ch: lg.post(EntryRequest("k", [D(ch.float.id, 5), D(ch.capital.id, 5)])),
        UnbalancedEntry,
    ),
    (
        "currency mismatch",
        lambda lg, ch: lg.post(
            EntryRequest("k", [D(ch.float.id, 5, "USD"), C(ch.capital.id, 5, "USD")])
        ),
        CurrencyMismatch,
    ),
    (
        "empty key",
        lambda lg, ch: lg.post(EntryRequest("", [D(ch.float.id, 5), C(ch.capital.id, 5)])),
        InvalidEntry,
    ),
    (
        "metadata not JSON",
        lambda lg, ch: lg.post(
            EntryRequest("k", [D(ch.float.id, 5), C(ch.capital.id, 5)], metadata={"at": object()})
        ),
        InvalidEntry,
    ),
    ("unknown entry to reverse", lambda lg, ch: lg.reverse(424_242, "k"), UnknownEntry),
    ("unknown hold to post", lambda lg, ch: lg.post_hold(424_242, "k"), UnknownEntry),
    ("a posted entry is not a hold", lambda lg, ch: lg.void_hold(1, "k"), HoldNotPending),
    (
        "reused account code",
        lambda lg, ch: lg.open_account(AccountSpec("1010", "Other", AccountType.LIABILITY)),
        DuplicateAccountCode,
    ),
    ("close a funded account", lambda lg, ch: lg.close_account(ch.float.id), AccountNotEmpty),
]


@pytest.mark.parametrize(
    ("attempt", "error"), [(a, e) for _, a, e in CASES], ids=[name for name, _, _ in CASES]
)
def test_a_refused_request_raises_its_typed_error_and_writes_nothing(
    sessions: Sessions, clock: FrozenClock, chart: Chart, attempt: Attempt, error: type[LedgerError]
) -> None:
    before = counts(sessions)
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        with pytest.raises(error):
            attempt(ledger, chart)
        # The caller's transaction stays usable: the refusal rolled back only itself.
        assert ledger.balance(chart.float.id).posted_minor == 100_000
    assert counts(sessions) == before


def test_a_replay_is_answered_even_after_the_account_was_closed(
    sessions: Sessions, clock: FrozenClock, chart: Chart
) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        spare = ledger.open_account(AccountSpec("9998", "Spare", AccountType.ASSET))
        request = EntryRequest("in-out-1", [D(spare.id, 5), C(chart.capital.id, 5)])
        first = ledger.post(request)
        ledger.post(EntryRequest("in-out-2", [C(spare.id, 5), D(chart.capital.id, 5)]))
        ledger.close_account(spare.id)
        assert ledger.post(request).id == first.id
