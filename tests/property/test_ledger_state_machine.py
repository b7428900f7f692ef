"""The ledger as a state machine: Hypothesis drives ``ledger.Ledger`` through random days of
business while shadow books, kept in memory here, say what the ledger must answer.

Each step is one use case in its own committed ``unit_of_work``: open an account, post an
entry, place a hold, settle a hold (post it whole or in part, or void it), let time pass and
sweep lapsed holds, reverse an entry, send a request again under a used idempotency key, or
send a malformed request. The shadow books predict every refusal (an overdraft is
``InsufficientFunds``, a second reversal ``NotReversible``, ...). After every step the books
are read back in a fresh reader transaction and must agree with the shadow to the minor
unit, through the ledger's own balances and recomputed with raw SQL from ``ledger_postings``.

One database serves every Hypothesis example of a test, so each example keeps its own chart
of accounts: account codes and idempotency keys start with a per-example tag, and the
per-account checks look at the example's own accounts only. The deliberately broken ledgers
at the end show that the machine fails when the ledger is wrong.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import Phase as SearchPhase
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from app.db.engine import Database
from app.db.session import Sessions
from ledger import (
    AccountSpec,
    AccountType,
    Balance,
    Entry,
    EntryKind,
    EntryRequest,
    HoldState,
    Ledger,
    LedgerError,
    PostingLine,
    Side,
)
from ledger.balance_check import check_totals
from ledger.balance_guard import moving_balances
from ledger.errors import (
    CurrencyMismatch,
    DuplicateAccountCode,
    HoldExpired,
    HoldNotPending,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidEntry,
    NotReversible,
    PostExceedsHold,
    UnbalancedEntry,
    UnknownAccount,
    UnknownEntry,
)
from ledger.types import Phase
from tests.support.clock import FrozenClock

HOME, FOREIGN = "KES", "USD"
OPENING_FLOAT_MINOR = 100_000
PENDING_DISBURSEMENT_MINOR = 20_000
MAX_ACCOUNTS_PER_EXAMPLE = 12
NO_SUCH_ID = 10**12  # far above any id a test database hands out
OTHER_CONTENT = "same key, other content"

# About 800 steps per database, derandomized: every run walks the same examples, and those
# reach nearly every path below (the ``event`` labels, counted while writing this). For a
# longer hunt, raise max_examples and drop derandomize.
BOOKS_SETTINGS = settings(
    max_examples=32,
    stateful_step_count=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
# The deliberately broken ledgers must be caught quickly and always the same way: a small
# budget, no shrinking, and the first failure reported as it is.
CANARY_SETTINGS = settings(
    BOOKS_SETTINGS,
    max_examples=10,
    stateful_step_count=20,
    phases=[SearchPhase.generate],
    report_multiple_bugs=False,
)

T = TypeVar("T")
Line = tuple[int, Side, int]
"""account id, side, amount in minor units"""
Movement = tuple[int, Side, Phase, int]
"""account id, side, phase, signed change of that balance column"""
Attempt = tuple[Callable[[Ledger], object], type[LedgerError]]
"""a malformed request ready to send, and the error it must meet"""


class Limit(enum.Enum):
    """An account's balance constraint, if any."""

    NONE = "none"
    DEBITS_WITHIN_CREDITS = "debits_must_not_exceed_credits"
    CREDITS_WITHIN_DEBITS = "credits_must_not_exceed_debits"

    def flags(self) -> dict[str, bool]:
        return {
            "debits_must_not_exceed_credits": self is Limit.DEBITS_WITHIN_CREDITS,
            "credits_must_not_exceed_debits": self is Limit.CREDITS_WITHIN_DEBITS,
        }

    @staticmethod
    def of(account: Any) -> Limit:
        """Of an ``AccountSpec`` or an ``AccountInfo``."""
        if account.debits_must_not_exceed_credits:
            return Limit.DEBITS_WITHIN_CREDITS
        if account.credits_must_not_exceed_debits:
            return Limit.CREDITS_WITHIN_DEBITS
        return Limit.NONE


# -- the shadow books: the oracle ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShadowAccount:
    spec: AccountSpec
    id: int
    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0

    @property
    def currency(self) -> str:
        return self.spec.currency

    @property
    def columns(self) -> tuple[int, int, int, int]:
        return (self.debits_posted, self.credits_posted, self.debits_pending, self.credits_pending)

    def moved(self, side: Side, phase: Phase, change: int) -> ShadowAccount:
        column = f"{'debits' if side is Side.DEBIT else 'credits'}_{phase.value}"
        return dataclasses.replace(self, **{column: getattr(self, column) + change})

    def overdrawn(self) -> bool:
        if min(self.columns) < 0:
            return True
        limit = Limit.of(self.spec)
        if limit is Limit.DEBITS_WITHIN_CREDITS:
            return self.debits_posted + self.debits_pending > self.credits_posted
        if limit is Limit.CREDITS_WITHIN_DEBITS:
            return self.credits_posted + self.credits_pending > self.debits_posted
        return False


def columns_of(balance: Balance) -> tuple[int, int, int, int]:
    return (
        balance.debits_posted_minor,
        balance.credits_posted_minor,
        balance.debits_pending_minor,
        balance.credits_pending_minor,
    )


@dataclass(slots=True)
class ShadowEntry:
    id: int
    kind: EntryKind
    lines: tuple[Line, ...]
    """In the order the ledger stores them (for a hold: the order ``amounts=`` refers to)."""
    reversed: bool = False
    expires_at: datetime | None = None
    state: HoldState = HoldState.OPEN
    """Holds only."""

    def lapsed(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(slots=True)
class Submission:
    """A request the ledger accepted, kept to be sent again under the same key."""

    key: str
    send: Callable[[Ledger], Entry]
    send_other_content: Callable[[Ledger], Entry]
    first: Entry
    hold_lapses_at: datetime | None = None

    def lapsed_hold(self, now: datetime) -> bool:
        return self.hold_lapses_at is not None and self.hold_lapses_at <= now

    def __repr__(self) -> str:  # what a failing example prints
        return f"<{self.first.kind.value} entry {self.first.id} under key {self.key!r}>"


@dataclass
class ShadowBooks:
    accounts: dict[int, ShadowAccount] = field(default_factory=dict)
    entries: dict[int, ShadowEntry] = field(default_factory=dict)
    submissions: dict[str, Submission] = field(default_factory=dict)
    unused_keys: list[str] = field(default_factory=list)
    """Keys of refused requests: a refusal leaves nothing behind, not even its key."""
    touched: set[int] = field(default_factory=set)
    """Accounts a request of this step named, whether the ledger took it or not."""

    def stage(self, movements: list[Movement]) -> dict[int, ShadowAccount] | None:
        """The touched accounts after ``movements``, or None when one would be overdrawn."""
        staged: dict[int, ShadowAccount] = {}
        for account_id, side, phase, change in movements:
            self.touched.add(account_id)
            account = staged.get(account_id, self.accounts[account_id])
            staged[account_id] = account.moved(side, phase, change)
        if any(account.overdrawn() for account in staged.values()):
            return None
        return staged

    def commit(self, staged: dict[int, ShadowAccount]) -> None:
        self.accounts.update(staged)

    def ids_in(self, currency: str) -> list[int]:
        return [a.id for a in self.accounts.values() if a.currency == currency]

    def of_kind(self, *kinds: EntryKind) -> list[ShadowEntry]:
        """Newest first (Hypothesis leans to the first of a list: the latest business)."""
        return [e for e in reversed(self.entries.values()) if e.kind in kinds]

    def holds(self, *states: HoldState) -> list[ShadowEntry]:
        return [h for h in self.of_kind(EntryKind.PENDING) if not states or h.state in states]

    def live_holds(self, now: datetime) -> list[ShadowEntry]:
        return [h for h in self.holds(HoldState.OPEN) if not h.lapsed(now)]


def as_movements(lines: list[Line], phase: Phase, sign: int = 1) -> list[Movement]:
    return [(account_id, side, phase, sign * amount) for account_id, side, amount in lines]


def as_lines(postings: list[PostingLine]) -> list[Line]:
    return [(p.account_id, p.side, p.amount_minor) for p in postings]


def opposite(side: Side) -> Side:
    return Side.CREDIT if side is Side.DEBIT else Side.DEBIT


def few(count: int) -> str:
    """A count for the statistics: 0, 1 or 2+."""
    return str(count) if count < 2 else "2+"


@contextmanager
def refused(error: type[LedgerError]) -> Iterator[None]:
    """The block must raise exactly ``error`` (not a parent or a sibling class)."""
    try:
        yield
    except LedgerError as exc:
        if type(exc) is not error:
            raise AssertionError(
                f"expected {error.__name__}, the ledger raised {type(exc).__name__}: {exc}"
            ) from exc
        return
    raise AssertionError(f"expected {error.__name__}, the ledger accepted the request")


# -- raw SQL, to recompute the books from the postings themselves ---------------------------

POSTED_TOTALS = text(
    """
    SELECT account_id, side, SUM(amount_minor) AS total
    FROM ledger_postings
    WHERE phase = 'posted' AND account_id IN :ids
    GROUP BY account_id, side
    """
).bindparams(bindparam("ids", expanding=True))

OPEN_HOLD_TOTALS = text(
    """
    SELECT p.account_id, p.side, SUM(p.amount_minor) AS total
    FROM ledger_postings p
    WHERE p.phase = 'pending' AND p.account_id IN :ids
      AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.pending_entry_id = p.entry_id)
    GROUP BY p.account_id, p.side
    """
).bindparams(bindparam("ids", expanding=True))

UNBALANCED_ENTRIES = text(
    """
    SELECT entry_id, currency, phase
    FROM ledger_postings
    WHERE entry_id IN (SELECT entry_id FROM ledger_postings WHERE account_id IN :ids)
    GROUP BY entry_id, currency, phase
    HAVING SUM(CASE side WHEN 'D' THEN amount_minor ELSE -amount_minor END) <> 0
    """
).bindparams(bindparam("ids", expanding=True))

HOLD_SETTLEMENTS = text(
    "SELECT pending_entry_id, kind FROM ledger_entries WHERE pending_entry_id IN :holds"
).bindparams(bindparam("holds", expanding=True))
SETTLED_AS = {
    EntryKind.POST_PENDING.value: HoldState.POSTED,
    EntryKind.VOID_PENDING.value: HoldState.VOIDED,
    EntryKind.EXPIRE_PENDING.value: HoldState.EXPIRED,
}

EXAMPLE_ENTRIES = text(
    """
    SELECT id FROM ledger_entries
    WHERE idempotency_key LIKE :prefix OR pending_entry_id IN :holds
    """
).bindparams(bindparam("holds", expanding=True))


def totals_by_account(session: Session, query: Any, ids: list[int]) -> dict[int, tuple[int, int]]:
    """(debits, credits) per account."""
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for account_id, side, total in session.execute(query, {"ids": ids}):
        found[account_id][0 if side == Side.DEBIT.value else 1] += int(total)
    return {account_id: (found[account_id][0], found[account_id][1]) for account_id in ids}


# -- the machine ------------------------------------------------------------------------------


class LedgerBooksMachine(RuleBasedStateMachine):
    """Random use of the public ledger API, checked step by step against shadow books."""

    ledger_class: ClassVar[type[Ledger]] = Ledger

    def __init__(self, database: Database) -> None:
        super().__init__()
        self.sessions = Sessions(database)
        self.clock = FrozenClock()
        self.tag = uuid.uuid4().hex[:10]
        self.books = ShadowBooks()
        self.serial = itertools.count(1)
        self.trial_balance_before: dict[str, int] = {}
        self.only_the_clock_moved = False

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def ledger(self) -> Iterator[Ledger]:
        """One use case: a committing transaction with a ledger bound to it."""
        with self.sessions.unit_of_work() as session:
            yield self.ledger_class(session, self.clock)

    def new_key(self, what: str) -> str:
        return f"{self.tag}:{what}:{next(self.serial)}"

    def key_for_new_request(self, data: st.DataObject, what: str) -> str:
        """Usually a new key; sometimes the key of an earlier refused request."""
        if self.books.unused_keys and data.draw(st.booleans(), label="reuse a refused key"):
            return self.books.unused_keys.pop(
                data.draw(st.integers(0, len(self.books.unused_keys) - 1), label="which")
            )
        return self.new_key(what)

    def refused_key(self, what: str = "malformed") -> str:
        key = self.new_key(what)
        self.books.unused_keys.append(key)
        return key

    def draw_split(self, data: st.DataObject, total: int, parts: int) -> list[int]:
        if parts == 1:
            return [total]
        cuts = data.draw(
            st.lists(
                st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1, unique=True
            ),
            label="split",
        )
        return [b - a for a, b in itertools.pairwise([0, *sorted(cuts), total])]

    def draw_postings(self, data: st.DataObject) -> list[PostingLine]:
        """2-4 postings balanced per currency on the example's accounts, sometimes in two
        currencies at once; amounts large enough to overdraw a limited account at times."""
        both = data.draw(st.integers(0, 4), label="two currencies") == 4
        if both:
            groups = [(HOME, 2), (FOREIGN, 2)]
        else:
            currency = data.draw(st.sampled_from([HOME, HOME, HOME, FOREIGN]), label="currency")
            groups = [(currency, data.draw(st.integers(2, 4), label="postings"))]
        postings = []
        for currency, count in groups:
            ids = self.books.ids_in(currency)
            debits = data.draw(st.integers(1, count - 1), label="debit postings")
            smallest = max(debits, count - debits)
            total = data.draw(
                st.integers(smallest, 60_000) | st.integers(smallest, 300_000),
                label=f"{currency} moved",
            )
            for side, parts in ((Side.DEBIT, debits), (Side.CREDIT, count - debits)):
                for amount in self.draw_split(data, total, parts):
                    account_id = data.draw(st.sampled_from(ids), label="account")
                    named = currency if data.draw(st.booleans(), label="name currency") else None
                    postings.append(PostingLine(account_id, side, amount, named))
        return list(data.draw(st.permutations(postings), label="posting order"))

    def draw_part(self, data: st.DataObject, hold: ShadowEntry) -> list[int]:
        """Amounts to post, one per hold posting, balanced per currency (possibly all 0)."""
        amounts = [0] * len(hold.lines)
        by_currency: dict[str, list[int]] = defaultdict(list)
        for i, (account_id, _, _) in enumerate(hold.lines):
            by_currency[self.books.accounts[account_id].currency].append(i)
        for currency, indexes in sorted(by_currency.items()):
            held = sum(hold.lines[i][2] for i in indexes if hold.lines[i][1] is Side.DEBIT)
            to_post = held - data.draw(st.integers(0, held), label=f"{currency} released")
            for side in Side:
                left = to_post
                same_side = [i for i in indexes if hold.lines[i][1] is side]
                for i in data.draw(st.permutations(same_side), label="fill order"):
                    amounts[i] = min(hold.lines[i][2], left)
                    left -= amounts[i]
        return amounts

    def check_written(
        self,
        entry: Entry,
        key: str,
        kind: EntryKind,
        lines: list[Line],
        phase: Phase = Phase.POSTED,
    ) -> None:
        """A first write: not a replay, of the kind asked, with exactly these postings."""
        assert entry.replayed is False, f"a first write of {key!r} came back as a replay"
        assert entry.idempotency_key == key
        assert entry.kind is kind, (entry.kind, kind)
        written = [(p.account_id, p.side, p.amount_minor, p.phase) for p in entry.postings]
        expected = [(*line, phase) for line in lines]
        assert written == expected, f"{kind.value} {entry.id} wrote {written}, not {expected}"
        net: dict[tuple[str, Phase], int] = defaultdict(int)
        for p in entry.postings:
            assert p.currency == self.books.accounts[p.account_id].currency
            net[p.currency, p.phase] += p.amount_minor if p.side is Side.DEBIT else -p.amount_minor
        assert not any(net.values()), f"entry {entry.id} is unbalanced: {dict(net)}"

    def draw_by_kind(
        self, data: st.DataObject, items: list[T], kind_of: Callable[[T], EntryKind]
    ) -> T:
        """An entry kind first, then one of that kind: every kind gets its turn."""
        kinds = sorted({kind_of(item) for item in items})
        kind = data.draw(st.sampled_from(kinds), label="kind")
        return data.draw(st.sampled_from([i for i in items if kind_of(i) is kind]), label="which")

    def remember(
        self,
        entry: Entry,
        send: Callable[[Ledger], Entry],
        send_other_content: Callable[[Ledger], Entry],
        hold_lapses_at: datetime | None = None,
    ) -> None:
        key = entry.idempotency_key
        self.books.submissions[key] = Submission(
            key, send, send_other_content, entry, hold_lapses_at
        )

    # -- the use cases, shared by the rules (each runs inside the caller's transaction) -----

    def open(self, ledger: Ledger, spec: AccountSpec) -> None:
        info = ledger.open_account(spec)
        assert (info.code, info.type, info.currency, info.hot, Limit.of(info)) == (
            spec.code,
            spec.type,
            spec.currency,
            spec.hot,
            Limit.of(spec),
        )
        assert columns_of(info.balance) == (0, 0, 0, 0)
        self.books.accounts[info.id] = ShadowAccount(spec, info.id)
        self.books.touched.add(info.id)

    def spec(
        self,
        code: str,
        name: str,
        kind: AccountType,
        currency: str = HOME,
        limit: Limit = Limit.NONE,
        hot: bool = False,
    ) -> AccountSpec:
        return AccountSpec(
            f"{self.tag}.{code}",
            name,
            kind,
            currency,
            owner_ref=f"example:{self.tag}",
            hot=hot,
            **limit.flags(),
        )

    def post(self, ledger: Ledger, request: EntryRequest) -> None:
        lines = as_lines(list(request.postings))
        staged = self.books.stage(as_movements(lines, Phase.POSTED))
        if staged is None:
            event("post entry: refused, it would overdraw")
            with refused(InsufficientFunds):
                ledger.post(request)
            self.books.unused_keys.append(request.idempotency_key)
            return
        event("post entry: posted")
        entry = ledger.post(request)
        self.check_written(entry, request.idempotency_key, EntryKind.POSTED, lines)
        self.books.commit(staged)
        self.books.entries[entry.id] = ShadowEntry(entry.id, EntryKind.POSTED, tuple(lines))
        other = dataclasses.replace(request, description=OTHER_CONTENT)
        self.remember(entry, lambda lg: lg.post(request), lambda lg: lg.post(other))

    def hold(self, ledger: Ledger, request: EntryRequest, expires_at: datetime | None) -> None:
        lines = as_lines(list(request.postings))
        staged = self.books.stage(as_movements(lines, Phase.PENDING))
        if staged is None:
            event("place hold: refused, it would overdraw")
            with refused(InsufficientFunds):
                ledger.hold(request, expires_at=expires_at)
            self.books.unused_keys.append(request.idempotency_key)
            return
        event("place hold: held" + (" until a deadline" if expires_at else ""))
        hold = ledger.hold(request, expires_at=expires_at)
        self.check_written(hold, request.idempotency_key, EntryKind.PENDING, lines, Phase.PENDING)
        assert hold.expires_at == expires_at
        self.books.commit(staged)
        self.books.entries[hold.id] = ShadowEntry(
            hold.id, EntryKind.PENDING, tuple(lines), expires_at=expires_at
        )
        other = dataclasses.replace(request, description=OTHER_CONTENT)
        self.remember(
            hold,
            lambda lg: lg.hold(request, expires_at=expires_at),
            lambda lg: lg.hold(other, expires_at=expires_at),
            hold_lapses_at=expires_at,
        )

    def release(
        self, hold: ShadowEntry, settlement: Entry, state: HoldState, posted: list[Line]
    ) -> None:
        """The shadow of a settled hold: its reservation gone, ``posted`` posted."""
        staged = self.books.stage(
            as_movements(list(hold.lines), Phase.PENDING, -1) + as_movements(posted, Phase.POSTED)
        )
        assert staged is not None, "settling a hold only spends what it reserved"
        self.books.commit(staged)
        hold.state = state
        self.books.entries[settlement.id] = ShadowEntry(
            settlement.id, settlement.kind, tuple(posted)
        )

    # -- opening the books ------------------------------------------------------------------

    @initialize()
    def open_the_chart_fund_the_floats_and_hold_a_disbursement(self) -> None:
        with self.sessions.reader() as session:
            self.trial_balance_before = Ledger(session, self.clock).trial_balance().net_by_currency
        with self.ledger() as ledger:
            for spec in (
                self.spec(
                    "1010",
                    "M-Pesa float",
                    AccountType.ASSET,
                    HOME,
                    Limit.CREDITS_WITHIN_DEBITS,
                    hot=True,
                ),
                self.spec("3000", "Fund capital", AccountType.EQUITY, HOME),
                self.spec("1200", "Loans receivable", AccountType.ASSET, HOME),
                self.spec(
                    "2110",
                    "Savings payable",
                    AccountType.LIABILITY,
                    HOME,
                    Limit.DEBITS_WITHIN_CREDITS,
                ),
                self.spec(
                    "1020",
                    "USD bank float",
                    AccountType.ASSET,
                    FOREIGN,
                    Limit.CREDITS_WITHIN_DEBITS,
                ),
                self.spec("3010", "Fund capital (USD)", AccountType.EQUITY, FOREIGN),
            ):
                self.open(ledger, spec)
            float_kes, capital_kes, loans, _, float_usd, capital_usd = self.books.accounts
            self.post(
                ledger,
                EntryRequest(
                    self.new_key("opening"),
                    [
                        PostingLine.debit(float_kes, OPENING_FLOAT_MINOR),
                        PostingLine.credit(capital_kes, OPENING_FLOAT_MINOR),
                        PostingLine.debit(float_usd, OPENING_FLOAT_MINOR, FOREIGN),
                        PostingLine.credit(capital_usd, OPENING_FLOAT_MINOR, FOREIGN),
                    ],
                    description="opening balances",
                ),
            )
            self.hold(
                ledger,
                EntryRequest(
                    self.new_key("b2c"),
                    [
                        PostingLine.debit(loans, PENDING_DISBURSEMENT_MINOR),
                        PostingLine.credit(float_kes, PENDING_DISBURSEMENT_MINOR),
                    ],
                    description="loan disbursement awaiting B2C result",
                ),
                expires_at=self.clock() + timedelta(minutes=30),
            )

    @rule(data=st.data())
    def open_account(self, data: st.DataObject) -> None:
        """A new account; or one opened again: the same facts return it, others are refused."""
        ways = ["open a new account", "open it again", "open it again with other facts"]
        if len(self.books.accounts) >= MAX_ACCOUNTS_PER_EXAMPLE:
            ways = ways[1:]
        way = data.draw(st.sampled_from(ways), label="way")
        event(f"open account: {way}")
        if way == "open a new account":
            kind = data.draw(st.sampled_from(AccountType), label="type")
            limit = data.draw(st.sampled_from(Limit), label="limit")
            number = len(self.books.accounts) + 1
            spec = self.spec(
                f"9{number:03d}",
                f"{kind.value} account {number}",
                kind,
                data.draw(st.sampled_from([HOME, HOME, HOME, FOREIGN])),
                limit,
                data.draw(st.booleans(), label="hot"),
            )
            with self.ledger() as ledger:
                self.open(ledger, spec)
            return
        account = self.books.accounts[
            data.draw(st.sampled_from(sorted(self.books.accounts)), label="account")
        ]
        with self.ledger() as ledger:
            if way == "open it again":
                info = ledger.open_account(account.spec)
                assert info.id == account.id
                assert columns_of(info.balance) == account.columns
                return
            other_limit = {
                Limit.NONE: Limit.DEBITS_WITHIN_CREDITS,
                Limit.DEBITS_WITHIN_CREDITS: Limit.CREDITS_WITHIN_DEBITS,
                Limit.CREDITS_WITHIN_DEBITS: Limit.NONE,
            }[Limit.of(account.spec)]
            with refused(DuplicateAccountCode):
                ledger.open_account(dataclasses.replace(account.spec, **other_limit.flags()))

    # -- entries and holds ------------------------------------------------------------------

    @rule(data=st.data())
    def post_entry(self, data: st.DataObject) -> None:
        request = EntryRequest(
            self.key_for_new_request(data, "post"), self.draw_postings(data), description="entry"
        )
        with self.ledger() as ledger:
            self.post(ledger, request)

    @rule(data=st.data())
    def place_hold(self, data: st.DataObject) -> None:
        request = EntryRequest(
            self.key_for_new_request(data, "hold"), self.draw_postings(data), description="hold"
        )
        minutes = data.draw(st.integers(1, 45) | st.none(), label="expires in minutes")
        expires_at = None if minutes is None else self.clock() + timedelta(minutes=minutes)
        with self.ledger() as ledger:
            self.hold(ledger, request, expires_at)

    @precondition(lambda self: self.books.holds(HoldState.OPEN))
    @rule(data=st.data())
    def settle_hold(self, data: st.DataObject) -> None:
        """Post an open hold whole or in part (the rest is released), or void it; sometimes
        the result comes in at or after the hold's deadline, when only a void may settle it."""
        now = self.clock()
        open_holds = sorted(self.books.holds(HoldState.OPEN), key=lambda h: not h.lapsed(now))
        hold = data.draw(st.sampled_from(open_holds), label="hold (lapsed ones first)")
        hold_id = hold.id
        how = data.draw(st.sampled_from(["post whole", "post in part", "void"]), label="how")
        key = self.new_key("settle")
        if (
            hold.expires_at is not None
            and not hold.lapsed(now)
            and data.draw(st.booleans(), label="result comes in late")
        ):
            late = data.draw(st.integers(0, 30), label="minutes after the deadline")
            now = self.clock.current = hold.expires_at + timedelta(minutes=late)
        lapsed = hold.lapsed(now)
        if how == "void":
            event("settle hold: void" + (" after it lapsed" if lapsed else ""))
            with self.ledger() as ledger:
                entry = ledger.void_hold(hold_id, key)
                assert ledger.hold_state(hold_id) is HoldState.VOIDED
            self.check_written(entry, key, EntryKind.VOID_PENDING, [])
            assert entry.pending_entry_id == hold_id
            self.release(hold, entry, HoldState.VOIDED, [])
            self.remember(
                entry,
                lambda lg: lg.void_hold(hold_id, key),
                lambda lg: lg.void_hold(hold_id, key, description=OTHER_CONTENT),
            )
            return
        amounts = None if how == "post whole" else self.draw_part(data, hold)
        posted = [
            (a, side, amount if amounts is None else amounts[i])
            for i, (a, side, amount) in enumerate(hold.lines)
        ]
        posted = [line for line in posted if line[2]]
        if lapsed:
            event("settle hold: post refused, lapsed")
            with self.ledger() as ledger, refused(HoldExpired):
                ledger.post_hold(hold_id, key, amounts=amounts)
            return
        if len(posted) < 2:
            event("settle hold: post refused, nothing to post")
            with self.ledger() as ledger, refused(InvalidEntry):
                ledger.post_hold(hold_id, key, amounts=amounts)
            return
        event(f"settle hold: {how}")
        with self.ledger() as ledger:
            entry = ledger.post_hold(hold_id, key, amounts=amounts)
            assert ledger.hold_state(hold_id) is HoldState.POSTED
        self.check_written(entry, key, EntryKind.POST_PENDING, posted)
        assert entry.pending_entry_id == hold_id
        self.release(hold, entry, HoldState.POSTED, posted)
        self.remember(
            entry,
            lambda lg: lg.post_hold(hold_id, key, amounts=amounts),
            lambda lg: lg.post_hold(hold_id, key, amounts=amounts, description=OTHER_CONTENT),
        )

    @rule(minutes=st.sampled_from([45, 10, 90]) | st.integers(1, 120), sweep=st.booleans())
    def let_time_pass(self, minutes: int, sweep: bool) -> None:
        """Move the clock; then, maybe, sweep: release every hold whose time ran out."""
        now = self.clock.advance(minutes=minutes)
        due = [h for h in self.books.holds(HoldState.OPEN) if h.lapsed(now)]
        if not sweep:
            event(f"let time pass: {few(len(due))} lapsed holds left for the sweep")
            self.only_the_clock_moved = True
            return
        event(f"let time pass: swept {few(len(due))} lapsed holds")
        with self.ledger() as ledger:
            swept = [e for e in ledger.expire_holds() if e.pending_entry_id in self.books.entries]
            again = [e for e in ledger.expire_holds() if e.pending_entry_id in self.books.entries]
            states = {h.id: ledger.hold_state(h.id) for h in due}
        assert again == [], "the sweep released a hold twice"
        assert sorted(e.pending_entry_id or 0 for e in swept) == sorted(h.id for h in due)
        assert set(states.values()) <= {HoldState.EXPIRED}, states
        for entry in swept:
            hold = self.books.entries[entry.pending_entry_id or 0]
            self.check_written(entry, f"ledger:expire:{hold.id}", EntryKind.EXPIRE_PENDING, [])
            self.release(hold, entry, HoldState.EXPIRED, [])

    # -- reversals --------------------------------------------------------------------------

    @rule(data=st.data())
    def reverse_entry(self, data: st.DataObject) -> None:
        """Reverse a posted entry: once; a second time is refused, and so is an overdraft."""
        candidates = self.books.of_kind(EntryKind.POSTED, EntryKind.POST_PENDING)
        unreversed = [e for e in candidates if not e.reversed]
        if unreversed and data.draw(st.integers(0, 3), label="maybe reversed before") < 3:
            candidates = unreversed
        original = self.draw_by_kind(data, candidates, lambda e: e.kind)
        original_id = original.id
        key = self.key_for_new_request(data, "reverse")
        mirror = [(a, opposite(side), amount) for a, side, amount in original.lines]
        staged = self.books.stage(as_movements(mirror, Phase.POSTED))
        if original.reversed or staged is None:
            event(
                "reverse entry: refused, "
                + ("reversed before" if original.reversed else "it would overdraw")
            )
            with (
                self.ledger() as ledger,
                refused(NotReversible if original.reversed else InsufficientFunds),
            ):
                ledger.reverse(original_id, key)
            self.books.unused_keys.append(key)
            return
        event(f"reverse entry: reversed a {original.kind.value} entry")
        with self.ledger() as ledger:
            entry = ledger.reverse(original_id, key)
        self.check_written(entry, key, EntryKind.REVERSAL, mirror)
        assert entry.reversed_entry_id == original_id
        self.books.commit(staged)
        original.reversed = True
        self.books.entries[entry.id] = ShadowEntry(entry.id, EntryKind.REVERSAL, tuple(mirror))
        self.remember(
            entry,
            lambda lg: lg.reverse(original_id, key),
            lambda lg: lg.reverse(original_id, key, description=OTHER_CONTENT),
        )

    # -- idempotency ------------------------------------------------------------------------

    @rule(data=st.data())
    def send_again_under_a_used_key(self, data: st.DataObject) -> None:
        """The same request returns the first entry and writes nothing; other content under
        the same key is an ``IdempotencyConflict``."""
        self.clock()
        how = data.draw(
            st.sampled_from(["same request", "same operation, other content", "an ordinary entry"]),
            label="send",
        )
        # Holds whose expiry has passed are sent again too: a retry of a request that was
        # valid when first made is still a replay.
        candidates = list(reversed(self.books.submissions.values()))
        submission = self.draw_by_kind(data, candidates, lambda s: s.first.kind)
        event(f"send again: {how} ({submission.first.kind.value})")
        self.books.touched.update(p.account_id for p in submission.first.postings)
        if how == "same request":
            with self.ledger() as ledger:
                replay = submission.send(ledger)
            assert replay == dataclasses.replace(submission.first, replayed=True), (
                f"replaying key {submission.key!r} did not return the first entry: "
                f"got {replay}, first was {submission.first}"
            )
            return
        if how == "same operation, other content":
            send = submission.send_other_content
        else:
            request = EntryRequest(submission.key, self.draw_postings(data), OTHER_CONTENT)
            send = lambda lg: lg.post(request)  # noqa: E731
        with self.ledger() as ledger, refused(IdempotencyConflict):
            send(ledger)

    # -- malformed requests -----------------------------------------------------------------

    @rule(data=st.data())
    def send_malformed_requests(self, data: st.DataObject) -> None:
        """One to four requests with one defect each, in one transaction: the ledger names
        each defect with its error, and nothing of any of them is left to commit."""
        defects = data.draw(
            st.lists(st.sampled_from(self.possible_defects()), min_size=1, max_size=4, unique=True),
            label="defects",
        )
        with self.ledger() as ledger:
            for defect in defects:
                event(f"malformed request: {defect}")
                call, error = getattr(self, f"malformed_{defect}")(data)
                with refused(error):
                    call(ledger)

    def possible_defects(self) -> list[str]:
        now = self.clock()
        defects = [
            "zero_amount",
            "negative_amount",
            "unbalanced",
            "one_sided",
            "lone_posting",
            "unknown_account",
            "wrong_currency",
            "cross_currency",
            "naive_value_date",
            "hold_expiring_in_the_past",
            "blank_key",
            "settle_a_non_hold",
            "unknown_entry",
        ]
        if self.books.live_holds(now):
            defects += [
                "post_more_than_held",
                "miscounted_amounts",
                "negative_part",
                "post_nothing_of_a_hold",
            ]
        if self.lapsed_open_holds():
            defects.append("post_a_lapsed_hold")
        if self.holds_to_unbalance():
            defects.append("unbalanced_part")
        if self.books.holds(HoldState.POSTED, HoldState.VOIDED, HoldState.EXPIRED):
            defects.append("settle_a_settled_hold")
        if self.books.of_kind(
            EntryKind.PENDING, EntryKind.REVERSAL, EntryKind.VOID_PENDING, EntryKind.EXPIRE_PENDING
        ):
            defects.append("reverse_what_was_not_posted")
        return defects

    def lapsed_open_holds(self) -> list[ShadowEntry]:
        """Holds whose time ran out, not yet swept."""
        now = self.clock()
        return [h for h in self.books.holds(HoldState.OPEN) if h.lapsed(now)]

    def holds_to_unbalance(self) -> list[ShadowEntry]:
        return [
            h
            for h in self.books.live_holds(self.clock())
            if max(amount for _, _, amount in h.lines) >= 2
        ]

    def as_post_or_hold(
        self, data: st.DataObject, postings: list[PostingLine], **request: Any
    ) -> Callable[[Ledger], object]:
        entry_request = EntryRequest(self.refused_key(), postings, **request)
        self.books.touched.update(
            p.account_id for p in postings if p.account_id in self.books.accounts
        )
        if data.draw(st.booleans(), label="as a hold"):
            return lambda lg: lg.hold(entry_request)
        return lambda lg: lg.post(entry_request)

    def with_one_changed(
        self,
        data: st.DataObject,
        postings: list[PostingLine],
        change: Callable[[PostingLine], dict[str, Any]],
        side: Side | None = None,
    ) -> list[PostingLine]:
        i = data.draw(
            st.sampled_from([i for i, p in enumerate(postings) if side is None or p.side is side]),
            label="posting",
        )
        postings[i] = dataclasses.replace(postings[i], **change(postings[i]))
        return postings

    def malformed_zero_amount(self, data: st.DataObject) -> Attempt:
        postings = self.with_one_changed(
            data, self.draw_postings(data), lambda _: {"amount_minor": 0}
        )
        return self.as_post_or_hold(data, postings), InvalidEntry

    def malformed_negative_amount(self, data: st.DataObject) -> Attempt:
        postings = self.with_one_changed(
            data, self.draw_postings(data), lambda p: {"amount_minor": -p.amount_minor}
        )
        return self.as_post_or_hold(data, postings), InvalidEntry

    def malformed_unbalanced(self, data: st.DataObject) -> Attempt:
        extra = data.draw(st.integers(1, 100), label="extra")
        postings = self.with_one_changed(
            data,
            self.draw_postings(data),
            lambda p: {"amount_minor": p.amount_minor + extra},
            Side.DEBIT,
        )
        return self.as_post_or_hold(data, postings), UnbalancedEntry

    def malformed_one_sided(self, data: st.DataObject) -> Attempt:
        postings = [dataclasses.replace(p, side=Side.DEBIT) for p in self.draw_postings(data)]
        return self.as_post_or_hold(data, postings), UnbalancedEntry

    def malformed_lone_posting(self, data: st.DataObject) -> Attempt:
        return self.as_post_or_hold(data, self.draw_postings(data)[:1]), InvalidEntry

    def malformed_unknown_account(self, data: st.DataObject) -> Attempt:
        postings = self.with_one_changed(
            data, self.draw_postings(data), lambda _: {"account_id": NO_SUCH_ID}
        )
        return self.as_post_or_hold(data, postings), UnknownAccount

    def malformed_wrong_currency(self, data: st.DataObject) -> Attempt:
        def other_currency(p: PostingLine) -> dict[str, Any]:
            actual = self.books.accounts[p.account_id].currency
            return {"currency": FOREIGN if actual == HOME else HOME}

        postings = self.with_one_changed(data, self.draw_postings(data), other_currency)
        return self.as_post_or_hold(data, postings), CurrencyMismatch

    def malformed_cross_currency(self, data: st.DataObject) -> Attempt:
        """A debit in shillings against a credit in dollars: each currency is unbalanced."""
        amount = data.draw(st.integers(1, 10_000), label="amount")
        home = data.draw(st.sampled_from(self.books.ids_in(HOME)), label="KES account")
        foreign = data.draw(st.sampled_from(self.books.ids_in(FOREIGN)), label="USD account")
        postings = [PostingLine.debit(home, amount), PostingLine.credit(foreign, amount)]
        return self.as_post_or_hold(data, postings), UnbalancedEntry

    def malformed_naive_value_date(self, data: st.DataObject) -> Attempt:
        naive = self.clock().replace(tzinfo=None)
        return (
            self.as_post_or_hold(data, self.draw_postings(data), effective_at=naive),
            InvalidEntry,
        )

    def malformed_hold_expiring_in_the_past(self, data: st.DataObject) -> Attempt:
        request = EntryRequest(self.refused_key(), self.draw_postings(data))
        expires_at = self.clock() - timedelta(minutes=data.draw(st.integers(0, 60), label="ago"))
        return (lambda lg: lg.hold(request, expires_at=expires_at)), InvalidEntry

    def malformed_blank_key(self, data: st.DataObject) -> Attempt:
        request = EntryRequest("", self.draw_postings(data))
        return (lambda lg: lg.post(request)), InvalidEntry

    def post_part(self, hold: ShadowEntry, amounts: list[int]) -> Callable[[Ledger], object]:
        hold_id, key = hold.id, self.refused_key()
        self.books.touched.update(account_id for account_id, _, _ in hold.lines)
        return lambda lg: lg.post_hold(hold_id, key, amounts=amounts)

    def malformed_post_more_than_held(self, data: st.DataObject) -> Attempt:
        hold = data.draw(st.sampled_from(self.books.live_holds(self.clock())), label="hold")
        amounts = [amount for _, _, amount in hold.lines]
        amounts[data.draw(st.integers(0, len(amounts) - 1), label="posting")] += 1
        return self.post_part(hold, amounts), PostExceedsHold

    def malformed_miscounted_amounts(self, data: st.DataObject) -> Attempt:
        hold = data.draw(st.sampled_from(self.books.live_holds(self.clock())), label="hold")
        amounts = [amount for _, _, amount in hold.lines]
        amounts = amounts[:-1] if data.draw(st.booleans(), label="one short") else [*amounts, 1]
        return self.post_part(hold, amounts), InvalidEntry

    def malformed_negative_part(self, data: st.DataObject) -> Attempt:
        hold = data.draw(st.sampled_from(self.books.live_holds(self.clock())), label="hold")
        amounts = [amount for _, _, amount in hold.lines]
        amounts[data.draw(st.integers(0, len(amounts) - 1), label="posting")] = -1
        return self.post_part(hold, amounts), InvalidEntry

    def malformed_post_nothing_of_a_hold(self, data: st.DataObject) -> Attempt:
        """Posting 0 of every posting: to release a hold whole, void it."""
        hold = data.draw(st.sampled_from(self.books.live_holds(self.clock())), label="hold")
        return self.post_part(hold, [0] * len(hold.lines)), InvalidEntry

    def malformed_post_a_lapsed_hold(self, data: st.DataObject) -> Attempt:
        hold = data.draw(st.sampled_from(self.lapsed_open_holds()), label="hold")
        hold_id, key = hold.id, self.refused_key()
        return (lambda lg: lg.post_hold(hold_id, key)), HoldExpired

    def malformed_unbalanced_part(self, data: st.DataObject) -> Attempt:
        hold = data.draw(st.sampled_from(self.holds_to_unbalance()), label="hold")
        amounts = [amount for _, _, amount in hold.lines]
        i = data.draw(
            st.sampled_from([i for i, a in enumerate(amounts) if a >= 2]), label="posting"
        )
        amounts[i] -= 1
        return self.post_part(hold, amounts), UnbalancedEntry

    def malformed_settle_a_settled_hold(self, data: st.DataObject) -> Attempt:
        settled = self.books.holds(HoldState.POSTED, HoldState.VOIDED, HoldState.EXPIRED)
        hold_id = data.draw(st.sampled_from(settled), label="hold").id
        key = self.refused_key()
        if data.draw(st.booleans(), label="void it"):
            return (lambda lg: lg.void_hold(hold_id, key)), HoldNotPending
        return (lambda lg: lg.post_hold(hold_id, key)), HoldNotPending

    def malformed_settle_a_non_hold(self, data: st.DataObject) -> Attempt:
        others = [e for e in self.books.entries.values() if e.kind is not EntryKind.PENDING]
        entry_id = data.draw(st.sampled_from(others), label="entry").id
        key = self.refused_key()
        if data.draw(st.booleans(), label="void it"):
            return (lambda lg: lg.void_hold(entry_id, key)), HoldNotPending
        return (lambda lg: lg.post_hold(entry_id, key)), HoldNotPending

    def malformed_reverse_what_was_not_posted(self, data: st.DataObject) -> Attempt:
        others = self.books.of_kind(
            EntryKind.PENDING, EntryKind.REVERSAL, EntryKind.VOID_PENDING, EntryKind.EXPIRE_PENDING
        )
        entry_id = data.draw(st.sampled_from(others), label="entry").id
        key = self.refused_key()
        return (lambda lg: lg.reverse(entry_id, key)), NotReversible

    def malformed_unknown_entry(self, data: st.DataObject) -> Attempt:
        key = self.refused_key()
        operation = data.draw(
            st.sampled_from(["reverse", "post_hold", "void_hold"]), label="operation"
        )
        return (lambda lg: getattr(lg, operation)(NO_SUCH_ID, key)), UnknownEntry

    # -- what must hold after every step ----------------------------------------------------

    @invariant()
    def books_balance_and_agree_with_the_shadow(self) -> None:
        if not self.books.accounts or self.only_the_clock_moved:
            self.only_the_clock_moved = False  # nothing was written: nothing to read back
            return
        ids = sorted(self.books.accounts)
        holds = [h.id for h in self.books.holds()]
        with self.sessions.reader() as session:
            ledger = Ledger(session, self.clock)
            self.check_trial_balance(ledger)
            unbalanced = session.execute(UNBALANCED_ENTRIES, {"ids": ids}).all()
            assert unbalanced == [], f"entries unbalanced per currency: {unbalanced}"
            posted = totals_by_account(session, POSTED_TOTALS, ids)
            pending = totals_by_account(session, OPEN_HOLD_TOTALS, ids)
            # Every account of the example, read in one query; and each account this step
            # named, read alone as well (``balance`` and ``accounts`` are two read paths).
            listed = {
                info.id: info.balance for info in ledger.accounts(owner_ref=f"example:{self.tag}")
            }
            assert sorted(listed) == ids, f"accounts listed: {sorted(listed)}, opened: {ids}"
            for account_id in sorted(self.books.touched):
                assert ledger.balance(account_id) == listed[account_id]
            self.books.touched.clear()
            for account_id in ids:
                shadow = self.books.accounts[account_id]
                balance = listed[account_id]
                assert balance.currency == shadow.currency
                assert columns_of(balance) == shadow.columns, (
                    f"balance of account {shadow.spec.code} is {columns_of(balance)}, "
                    f"the shadow books say {shadow.columns}"
                )
                from_postings = (*posted[account_id], *pending[account_id])
                assert columns_of(balance) == from_postings, (
                    f"balance of account {shadow.spec.code} is {columns_of(balance)}, "
                    f"its postings sum to {from_postings}"
                )
                self.check_not_overdrawn(shadow.spec, balance)
            settled = dict(session.execute(HOLD_SETTLEMENTS, {"holds": holds}).all())
            for hold_id in holds:
                state = SETTLED_AS.get(settled.get(hold_id), HoldState.OPEN)
                assert state is self.books.entries[hold_id].state, (
                    f"hold {hold_id} is {state.value}, the shadow books say "
                    f"{self.books.entries[hold_id].state.value}"
                )
            written = set(
                session.execute(
                    EXAMPLE_ENTRIES, {"prefix": f"{self.tag}:%", "holds": holds}
                ).scalars()
            )
            assert written == set(self.books.entries), (
                f"entries written but not expected: {sorted(written - set(self.books.entries))}"
                f"; expected but missing: {sorted(set(self.books.entries) - written)}"
            )
            # What ``verify`` recomputes, over the whole database; this example's accounts
            # only are judged (as with the trial balance, so shrinking keeps working).
            named = check_totals(session.connection()).mismatches
            ours = [m.code for m in named if m.account_id in self.books.accounts]
            assert ours == [], f"verify names accounts whose totals disagree: {ours}"

    def check_trial_balance(self, ledger: Ledger) -> None:
        """Zero per currency: over this example's accounts, and over the whole database.

        The whole database is compared with its value when the example began, so that one
        failing example (or a deliberately broken ledger) cannot fail every later example
        at its first step, which would defeat shrinking.
        """
        trial = ledger.trial_balance()
        ours: dict[str, int] = defaultdict(int)
        for line in trial.lines:
            if line.account_id in self.books.accounts:
                ours[line.currency] += line.debit_minor - line.credit_minor
        before = self.trial_balance_before
        moved = {
            c: trial.net_by_currency.get(c, 0) - before.get(c, 0)
            for c in {*trial.net_by_currency, *before}
        }
        assert set(moved.values()) <= {0}, f"trial balance is off by {moved}"
        assert set(ours.values()) <= {0}, f"this example's trial balance is off: {dict(ours)}"

    @staticmethod
    def check_not_overdrawn(spec: AccountSpec, balance: Balance) -> None:
        limit = Limit.of(spec)
        if limit is Limit.DEBITS_WITHIN_CREDITS:
            headroom = (
                balance.credits_posted_minor
                - balance.debits_posted_minor
                - balance.debits_pending_minor
            )
        elif limit is Limit.CREDITS_WITHIN_DEBITS:
            headroom = (
                balance.debits_posted_minor
                - balance.credits_posted_minor
                - balance.credits_pending_minor
            )
        else:
            return
        assert headroom >= 0, f"account {spec.code} is overdrawn by {-headroom}"
        if (limit is Limit.CREDITS_WITHIN_DEBITS) == spec.type.debit_normal:
            assert balance.available_minor >= 0, f"account {spec.code} has negative available"


# -- deliberately broken ledgers: the machine must catch them -------------------------------


class LedgerWithoutIdempotency(Ledger):
    """Broken on purpose: every post goes under a fresh key, so a replay posts it again."""

    def post(self, request: EntryRequest) -> Entry:
        fresh = f"{request.idempotency_key}~{uuid.uuid4().hex[:6]}"
        entry = super().post(dataclasses.replace(request, idempotency_key=fresh))
        return dataclasses.replace(entry, idempotency_key=request.idempotency_key)


class LedgerThatDoublesReversals(Ledger):
    """Broken on purpose: a reversal moves one account's balance twice (an account without
    a limit, so the table's CHECK constraints cannot notice; only the books can). The extra
    UPDATE runs as the SQLite write path's own would (``moving_balances``): a bug inside the
    write path, which the database guard on the totals lets through by design."""

    def reverse(
        self,
        entry_id: int,
        idempotency_key: str,
        description: str = "",
        effective_at: datetime | None = None,
    ) -> Entry:
        reversal = super().reverse(entry_id, idempotency_key, description, effective_at)
        unlimited = [
            p
            for p in reversal.postings
            if not reversal.replayed and Limit.of(self.account(p.account_id)) is Limit.NONE
        ]
        for posting in unlimited[:1]:
            column = "debits_posted" if posting.side is Side.DEBIT else "credits_posted"
            with moving_balances(self._session.connection()):
                self._session.execute(
                    text(
                        f"UPDATE ledger_accounts SET {column} = {column} + :amount WHERE id = :id"
                    ),
                    {"amount": posting.amount_minor, "id": posting.account_id},
                )
        return reversal


class BooksWithoutIdempotency(LedgerBooksMachine):
    ledger_class = LedgerWithoutIdempotency


class BooksThatDoubleReversals(LedgerBooksMachine):
    ledger_class = LedgerThatDoublesReversals


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_ledger_keeps_its_books_under_random_use(database: Database) -> None:
    run_state_machine_as_test(lambda: LedgerBooksMachine(database), settings=BOOKS_SETTINGS)


@pytest.mark.parametrize(
    ("machine", "symptom"),
    [
        pytest.param(
            BooksWithoutIdempotency,
            # Caught as a replay posted twice, a conflicting key accepted, or (the broken
            # ledger rewrites keys) a blank key accepted: whichever sequence comes first.
            "replaying key|expected IdempotencyConflict|expected InvalidEntry, the ledger acc",
            id="forgets-idempotency-keys",
        ),
        pytest.param(
            BooksThatDoubleReversals,
            "trial balance is off|balance of account|verify names accounts",
            id="reversal-moves-twice",
        ),
    ],
)
def test_the_machine_catches_a_broken_ledger(
    sqlite_database: Database, machine: type[LedgerBooksMachine], symptom: str
) -> None:
    with pytest.raises(AssertionError, match=symptom):
        run_state_machine_as_test(lambda: machine(sqlite_database), settings=CANARY_SETTINGS)


def test_replaying_a_hold_request_after_its_expiry_returns_the_first_hold(
    sessions: Sessions, clock: FrozenClock
) -> None:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        cash = ledger.open_account(AccountSpec("1000", "Cash", AccountType.ASSET))
        capital = ledger.open_account(AccountSpec("3000", "Capital", AccountType.EQUITY))
        request = EntryRequest(
            "b2c:1", [PostingLine.debit(cash.id, 500), PostingLine.credit(capital.id, 500)]
        )
        expires_at = clock() + timedelta(minutes=5)
        hold = ledger.hold(request, expires_at=expires_at)
    clock.advance(minutes=10)
    with sessions.unit_of_work() as session:
        replay = Ledger(session, clock).hold(request, expires_at=expires_at)
    assert replay == dataclasses.replace(hold, replayed=True)
