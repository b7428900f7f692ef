"""The one path every ledger write takes, for one entry or a batch.

Inside one SAVEPOINT: insert the entries with ON CONFLICT DO NOTHING (one multi-row
statement), insert all their postings (one statement), then move each touched account's
balance ONCE, by the sum of its deltas, with a conditional UPDATE.

Locking: the UPDATEs run in one global order (ordinary accounts by id, then hot accounts by
id). One order for every writer means no two transactions can wait on each other's rows (no
deadlock), also across the entries of a batch; hot accounts last means the most contended
row lock is held only from its UPDATE to COMMIT. Each UPDATE re-checks the account's balance
constraint in its WHERE clause against the locked row, so two writers can never both spend
the same credit (no lost update, no overdraft); the table's CHECK constraints are the
backstop. A refusal rolls the savepoint back: nothing of the batch remains.

This is the path of SQLite; on PostgreSQL ``ledger_write`` does the same in one round trip
and the database moves the totals (``ledger.balance_guard``). On SQLite the totals' UPDATEs
pass the guard's trigger because they run inside ``moving_balances``; no other UPDATE does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ledger import entry_checks
from ledger.balance_guard import moving_balances
from ledger.errors import AccountClosed, InsufficientFunds, LedgerError
from ledger.schema import Account, JournalEntry, Posting
from ledger.types import Entry, EntryKind, Phase, PostingLine, Side
from ledger.types import Posting as PostingResult
from ledger.write_path_pg import write_items_pg


@dataclass
class WriteItem:
    """One entry to write: its key and content hash, row values, new and released lines."""

    key: str
    content_hash: str
    values: dict[str, Any]
    new_lines: list[tuple[PostingLine, Phase]]
    released: list[PostingResult] = field(default_factory=list)
    on_conflict: Callable[[], LedgerError] | None = None
    """The error when the insert hits another unique rule than the key (e.g. hold resolved)."""


@dataclass(slots=True)
class _Delta:
    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0

    def add(self, side: str, phase: str, amount: int) -> None:
        if phase == Phase.POSTED:
            if side == Side.DEBIT:
                self.debits_posted += amount
            else:
                self.credits_posted += amount
        elif side == Side.DEBIT:
            self.debits_pending += amount
        else:
            self.credits_pending += amount


_MOVE_BALANCE = text(
    """
    UPDATE ledger_accounts SET
        debits_posted = debits_posted + :dp, credits_posted = credits_posted + :cp,
        debits_pending = debits_pending + :dq, credits_pending = credits_pending + :cq
    WHERE id = :id AND closed_at IS NULL
      AND (NOT debits_must_not_exceed_credits
           OR debits_posted + :dp + debits_pending + :dq <= credits_posted + :cp)
      AND (NOT credits_must_not_exceed_debits
           OR credits_posted + :cp + credits_pending + :cq <= debits_posted + :dp)
    """
)

Replay = Callable[[str, str], Entry | None]
"""Looks up an existing entry by (key, content hash); raises on a conflicting reuse."""


def write_items(
    conn: Connection, items: Sequence[WriteItem], booked_at: datetime, replay: Replay
) -> list[Entry]:
    """Write the items; replays return the first entries.

    On PostgreSQL one ``ledger_write`` call does the writing and writes nothing when it
    refuses; elsewhere the caller must hold a savepoint (``needs_savepoint``).
    """
    account_ids = {line.account_id for item in items for line, _ in item.new_lines}
    account_ids |= {p.account_id for item in items for p in item.released}
    facts = entry_checks.fetch_facts(conn, account_ids)
    for item in items:
        entry_checks.check_lines(facts, [line for line, _ in item.new_lines])
    if conn.dialect.name == "postgresql":
        return write_items_pg(conn, items, booked_at, replay, facts, balance_deltas)
    rows = [
        {
            **item.values,
            "idempotency_key": item.key,
            "content_hash": item.content_hash,
            "booked_at": booked_at,
        }
        for item in items
    ]
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    inserted = dict(
        conn.execute(
            make(JournalEntry)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(JournalEntry.idempotency_key, JournalEntry.id)
        ).all()
    )
    results: list[Entry | None] = []
    fresh: list[tuple[WriteItem, int]] = []
    for item in items:
        if item.key in inserted:
            fresh.append((item, inserted[item.key]))
            results.append(None)
            continue
        existing = replay(item.key, item.content_hash)
        if existing is None:
            raise (
                item.on_conflict()
                if item.on_conflict
                else LedgerError(f"entry {item.key!r} could not be written")
            )
        results.append(existing)
    postings = _insert_postings(conn, fresh, facts)
    _move_balances(conn, fresh, facts)
    built = iter(_entry(item, entry_id, booked_at, postings[entry_id]) for item, entry_id in fresh)
    return [r if r is not None else next(built) for r in results]


def _insert_postings(
    conn: Connection,
    fresh: list[tuple[WriteItem, int]],
    facts: dict[int, entry_checks.AccountFacts],
) -> dict[int, list[PostingResult]]:
    rows: list[dict[str, Any]] = [
        dict(
            entry_id=entry_id,
            account_id=line.account_id,
            currency=facts[line.account_id].currency,
            side=line.side.value,
            amount_minor=line.amount_minor,
            phase=phase.value,
            effective_at=item.values["effective_at"],
        )
        for item, entry_id in fresh
        for line, phase in item.new_lines
    ]
    by_entry: dict[int, list[PostingResult]] = {entry_id: [] for _, entry_id in fresh}
    if not rows:
        return by_entry
    ids = (
        conn.execute(insert(Posting).returning(Posting.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )
    for posting_id, r in zip(ids, rows, strict=True):
        by_entry[r["entry_id"]].append(
            PostingResult(
                id=posting_id,
                account_id=r["account_id"],
                side=Side(r["side"]),
                amount_minor=r["amount_minor"],
                currency=r["currency"],
                phase=Phase(r["phase"]),
            )
        )
    return by_entry


def needs_savepoint(conn: Connection) -> bool:
    """Whether a refusal can leave writes behind (it cannot on PostgreSQL)."""
    return conn.dialect.name != "postgresql"


def balance_deltas(items: Sequence[WriteItem]) -> dict[int, list[int]]:
    """Each touched account's [debits posted, credits posted, debits pending, credits
    pending] change over the whole batch."""
    deltas: dict[int, _Delta] = {}
    for item in items:
        for line, phase in item.new_lines:
            deltas.setdefault(line.account_id, _Delta()).add(line.side, phase, line.amount_minor)
        for p in item.released:
            deltas.setdefault(p.account_id, _Delta()).add(p.side, Phase.PENDING, -p.amount_minor)
    return {
        a: [d.debits_posted, d.credits_posted, d.debits_pending, d.credits_pending]
        for a, d in deltas.items()
    }


def _move_balances(
    conn: Connection,
    fresh: list[tuple[WriteItem, int]],
    facts: dict[int, entry_checks.AccountFacts],
) -> None:
    deltas = balance_deltas([item for item, _ in fresh])
    with moving_balances(conn):  # the UPDATEs the database guard lets through
        for account_id in sorted(deltas, key=lambda a: (facts[a].hot, a)):
            _move_balance(conn, account_id, deltas[account_id], facts)


def _move_balance(
    conn: Connection,
    account_id: int,
    delta: list[int],
    facts: dict[int, entry_checks.AccountFacts],
) -> None:
    dp, cp, dq, cq = delta
    moved = conn.execute(_MOVE_BALANCE, dict(id=account_id, dp=dp, cp=cp, dq=dq, cq=cq)).rowcount
    if moved != 1:
        closed = conn.execute(
            select(Account.closed_at).where(Account.id == account_id)
        ).scalar_one()
        if closed is not None:
            raise AccountClosed(f"account {account_id} is closed")
        raise InsufficientFunds(
            f"account {account_id} ({facts[account_id].code}) would be overdrawn"
        )


def _entry(
    item: WriteItem, entry_id: int, booked_at: datetime, postings: list[PostingResult]
) -> Entry:
    v = item.values
    return Entry(
        id=entry_id,
        idempotency_key=item.key,
        kind=EntryKind(v["kind"]),
        description=v["description"],
        reference=v["reference"],
        metadata=v["meta"],
        effective_at=v["effective_at"],
        booked_at=booked_at,
        postings=tuple(postings),
        pending_entry_id=v.get("pending_entry_id"),
        reversed_entry_id=v.get("reversed_entry_id"),
        expires_at=v.get("expires_at"),
    )
