"""The Python write path, taken on SQLite: a batch in a few statements, balances moved once.

Inside the caller's SAVEPOINT: insert the entries with ON CONFLICT DO NOTHING (one multi-row
statement), insert all their postings (one statement), prove each new entry balanced to the
database (``ledger.balanced_entry_guard``, one statement), then move each touched account's
balance ONCE, by the sum of its deltas, with a conditional UPDATE.

Locking: the UPDATEs run in one global order (ordinary accounts by id, then hot accounts by
id). One order for every writer means no two transactions can wait on each other's rows (no
deadlock), also across the entries of a batch; hot accounts last means the most contended
row lock is held only from its UPDATE to COMMIT. Each UPDATE re-checks the account's balance
constraint in its WHERE clause against the locked row, so two writers can never both spend
the same credit (no lost update, no overdraft); the table's CHECK constraints are the
backstop. A refusal rolls the savepoint back: nothing of the batch remains.

The totals' UPDATEs pass the SQLite guard's trigger (``ledger.balance_guard``) because they
run inside ``moving_balances``; no other UPDATE does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ledger.balance_guard import moving_balances
from ledger.balanced_entry_guard import prove_balanced
from ledger.entry_checks import AccountFacts
from ledger.errors import AccountClosed, InsufficientFunds
from ledger.schema import Account, JournalEntry, Posting
from ledger.types import Entry, Phase, Side
from ledger.types import Posting as PostingResult
from ledger.write_batch import Replay, WriteItem, balance_deltas, written_entry

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


def write_items_sqlite(
    conn: Connection,
    items: Sequence[WriteItem],
    booked_at: datetime,
    replay: Replay,
    facts: dict[int, AccountFacts],
) -> list[Entry]:
    """Write the items (validated, their accounts in ``facts``); replays return the first
    entries. The caller holds a savepoint: a refusal raised here may leave rows behind."""
    rows = [
        {
            **item.values,
            "idempotency_key": item.key,
            "content_hash": item.content_hash,
            "booked_at": booked_at,
        }
        for item in items
    ]
    inserted = dict(
        conn.execute(
            sqlite_insert(JournalEntry)
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
            raise item.conflict_error()
        results.append(existing)
    postings = _insert_postings(conn, fresh, facts)
    prove_balanced(conn, [entry_id for _, entry_id in fresh])
    _move_balances(conn, fresh, facts)
    built = iter(
        written_entry(item, entry_id, booked_at, postings[entry_id]) for item, entry_id in fresh
    )
    return [r if r is not None else next(built) for r in results]


def _insert_postings(
    conn: Connection,
    fresh: list[tuple[WriteItem, int]],
    facts: dict[int, AccountFacts],
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


def _move_balances(
    conn: Connection,
    fresh: list[tuple[WriteItem, int]],
    facts: dict[int, AccountFacts],
) -> None:
    deltas = balance_deltas([item for item, _ in fresh])
    with moving_balances(conn):  # the UPDATEs the database guard lets through
        for account_id in sorted(deltas, key=lambda a: (facts[a].hot, a)):
            _move_balance(conn, account_id, deltas[account_id], facts)


def _move_balance(
    conn: Connection,
    account_id: int,
    delta: list[int],
    facts: dict[int, AccountFacts],
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
