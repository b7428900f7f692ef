"""The books and the case shape of ``tests/integration/test_ledger_write_paths.py``: one
table of ledger cases, run on both write paths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.db.session import Sessions
from ledger import AccountSpec, AccountType, Entry, EntryRequest, Ledger, PostingLine
from ledger.errors import LedgerError
from ledger.schema import Account, JournalEntry, Posting
from tests.support.books import Chart, open_chart
from tests.support.clock import FrozenClock
from tests.support.ledger_ops import fund

D, C = PostingLine.debit, PostingLine.credit


@dataclass(frozen=True)
class Opening:
    """The books every case starts from (committed)."""

    chart: Chart
    pay_1: Entry
    hold: Entry
    spare_id: int


@dataclass(frozen=True)
class Books:
    """A case's view of the books: the opening, and a ledger on the case's session."""

    ledger: Ledger
    clock: FrozenClock
    opening: Opening

    @property
    def chart(self) -> Chart:
        return self.opening.chart

    @property
    def pay_1(self) -> Entry:
        return self.opening.pay_1

    @property
    def hold(self) -> Entry:
        return self.opening.hold

    @property
    def spare_id(self) -> int:
        return self.opening.spare_id

    def move(self, key: str, debit: int, credit: int, amount_minor: int) -> EntryRequest:
        return EntryRequest(key, [D(debit, amount_minor), C(credit, amount_minor)])

    def pay_out(self, key: str, amount_minor: int) -> EntryRequest:
        """Lend ``amount_minor`` out of the float."""
        return self.move(key, self.chart.principal.id, self.chart.float.id, amount_minor)

    def pay_in(self, key: str, amount_minor: int) -> EntryRequest:
        """Capital into the float."""
        return self.move(key, self.chart.float.id, self.chart.capital.id, amount_minor)


@dataclass(frozen=True)
class Case:
    name: str
    act: Callable[[Books], Any]
    refused: type[LedgerError] | None = None
    new_entries: int = 0
    float_after: tuple[int, int] = (100_500, 99_500)
    """The float's (posted, available) balance after the case."""
    returns: Callable[[Books, Any], bool] = lambda books, result: True


def open_books(sessions: Sessions, clock: FrozenClock) -> Opening:
    """The books every case starts from, committed."""
    with sessions.unit_of_work() as session:
        ledger_ = Ledger(session, clock)
        chart = open_chart(ledger_)
        fund(ledger_, chart, 100_000)
        spare = ledger_.open_account(AccountSpec("9999", "Spare", AccountType.ASSET))
        ledger_.close_account(spare.id)
        pay_1 = ledger_.post(
            EntryRequest("pay-1", [D(chart.float.id, 500), C(chart.capital.id, 500)])
        )
        hold = ledger_.hold(
            EntryRequest("hold-1", [D(chart.principal.id, 1_000), C(chart.float.id, 1_000)]),
            expires_at=clock() + timedelta(hours=1),
        )
    return Opening(chart, pay_1, hold, spare.id)


def snapshot(sessions: Sessions) -> tuple[int, int, list[tuple[int, ...]]]:
    """Entries, postings, and every account's four totals."""
    with sessions.reader() as session:
        totals = session.execute(
            select(
                Account.debits_posted,
                Account.credits_posted,
                Account.debits_pending,
                Account.credits_pending,
            ).order_by(Account.id)
        ).all()
        return (
            session.scalar(select(func.count()).select_from(JournalEntry)) or 0,
            session.scalar(select(func.count()).select_from(Posting)) or 0,
            [tuple(row) for row in totals],
        )
