"""Many writers at once on PostgreSQL: exact balances, no deadlock, no overdraft, one entry
per idempotency key. Real threads, each with its own connection and transaction."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.db.engine import Database
from app.db.session import Sessions
from ledger import AccountSpec, AccountType, EntryRequest, Ledger, PostingLine
from ledger.errors import HoldNotPending, InsufficientFunds
from tests.support.clock import FrozenClock

pytestmark = pytest.mark.postgres
D, C = PostingLine.debit, PostingLine.credit
THREADS = 8
ENTRIES_PER_THREAD = 500


def run_threads(count: int, work: Callable[[int], object]) -> list[object]:
    start = threading.Barrier(count)

    def task(n: int) -> object:
        start.wait()
        return work(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(task, range(count)))


def open_accounts(sessions: Sessions, clock: FrozenClock, count: int) -> tuple[int, list[int]]:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        hot = ledger.open_account(
            AccountSpec("HOT", "M-Pesa float", AccountType.ASSET, hot=True)
        ).id
        plain = [
            ledger.open_account(AccountSpec(f"A{i:03}", f"Account {i}", AccountType.ASSET)).id
            for i in range(count)
        ]
    return hot, plain


def test_8_threads_x_500_entries_a_third_through_a_hot_account_end_exact(
    pg_database: Database, clock: FrozenClock
) -> None:
    sessions = Sessions(pg_database)
    hot, plain = open_accounts(sessions, clock, 20)
    expected: Counter[int] = Counter()  # net debits per account, summed by every thread
    lock = threading.Lock()

    def writer(n: int) -> int:
        rng = random.Random(n)
        net: Counter[int] = Counter()
        for i in range(ENTRIES_PER_THREAD):
            amount = rng.randint(1, 10_000)
            debit, credit = rng.sample(plain, 2)
            if i % 3 == 0:
                debit, credit = (hot, credit) if rng.random() < 0.5 else (debit, hot)
            with sessions.unit_of_work() as session:
                Ledger(session, clock).post(
                    EntryRequest(f"t{n}-{i}", [D(debit, amount), C(credit, amount)])
                )
            net[debit] += amount
            net[credit] -= amount
        with lock:
            expected.update(net)
        return ENTRIES_PER_THREAD

    assert sum(run_threads(THREADS, writer)) == THREADS * ENTRIES_PER_THREAD  # type: ignore[arg-type]
    with sessions.reader() as session:
        ledger = Ledger(session, clock)
        for account_id in [hot, *plain]:
            balance = ledger.balance(account_id)
            assert (
                balance.debits_posted_minor - balance.credits_posted_minor == expected[account_id]
            ), account_id
            assert ledger.statement(account_id, limit=1).account.id == account_id
        assert ledger.trial_balance().net_by_currency == {"KES": 0}


def test_opposite_posting_orders_on_the_same_accounts_never_deadlock(
    pg_database: Database, clock: FrozenClock
) -> None:
    sessions = Sessions(pg_database)
    hot, (a, b) = open_accounts(sessions, clock, 2)

    def writer(n: int) -> None:
        for i in range(100):
            lines = [D(a, 1), C(b, 1), D(hot, 1), C(a, 1)]
            if n % 2:
                lines.reverse()
            with sessions.unit_of_work() as session:
                Ledger(session, clock).post(EntryRequest(f"x{n}-{i}", lines))

    run_threads(THREADS, writer)
    with sessions.reader() as session:
        assert Ledger(session, clock).balance(hot).debits_posted_minor == THREADS * 100


def test_concurrent_replays_of_one_key_make_one_entry(
    pg_database: Database, clock: FrozenClock
) -> None:
    sessions = Sessions(pg_database)
    hot, (a, _b) = open_accounts(sessions, clock, 2)
    request = EntryRequest("mpesa:RKL51ZDR4F", [D(hot, 10_000), C(a, 10_000)], "repayment")

    def replay(_n: int) -> int:
        with sessions.unit_of_work() as session:
            return Ledger(session, clock).post(request).id

    ids = run_threads(THREADS, replay)
    assert len(set(ids)) == 1
    with sessions.reader() as session:
        ledger = Ledger(session, clock)
        assert ledger.balance(hot).debits_posted_minor == 10_000
        assert len(ledger.find_entries(metadata={})) == 1


def test_racing_withdrawals_never_overdraw_a_constrained_account(
    pg_database: Database, clock: FrozenClock
) -> None:
    sessions = Sessions(pg_database)
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        savings = ledger.open_account(
            AccountSpec(
                "SAV",
                "Short-term savings",
                AccountType.LIABILITY,
                debits_must_not_exceed_credits=True,
            )
        ).id
        cash = ledger.open_account(AccountSpec("CASH", "Float", AccountType.ASSET)).id
        ledger.post(EntryRequest("deposit", [D(cash, 1_000), C(savings, 1_000)]))

    def withdraw(n: int) -> int:
        paid = 0
        for i in range(20):
            try:
                with sessions.unit_of_work() as session:
                    Ledger(session, clock).post(
                        EntryRequest(f"w{n}-{i}", [D(savings, 30), C(cash, 30)])
                    )
                paid += 30
            except InsufficientFunds:
                pass
        return paid

    paid = sum(run_threads(THREADS, withdraw))  # type: ignore[arg-type]
    assert paid == 990  # 33 withdrawals of 30 fit in 1,000; the 34th never goes through
    with sessions.reader() as session:
        assert Ledger(session, clock).balance(savings).posted_minor == 10


def test_posting_and_voiding_one_hold_at_once_resolves_it_exactly_once(
    pg_database: Database, clock: FrozenClock
) -> None:
    sessions = Sessions(pg_database)
    hot, (loans, _b) = open_accounts(sessions, clock, 2)
    with sessions.unit_of_work() as session:
        hold_id = (
            Ledger(session, clock).hold(EntryRequest("b2c", [D(loans, 9_500), C(hot, 9_500)])).id
        )

    def resolve(n: int) -> str:
        try:
            with sessions.unit_of_work() as session:
                ledger = Ledger(session, clock)
                if n % 2:
                    ledger.void_hold(hold_id, f"void-{n}")
                    return "voided"
                ledger.post_hold(hold_id, f"post-{n}")
                return "posted"
        except HoldNotPending:
            return "refused"

    outcomes = Counter(run_threads(THREADS, resolve))
    assert outcomes["refused"] == THREADS - 1
    with sessions.reader() as session:
        balance = Ledger(session, clock).balance(hot)
    assert balance.credits_pending_minor == 0
    assert balance.credits_posted_minor == (9_500 if outcomes["posted"] else 0)
