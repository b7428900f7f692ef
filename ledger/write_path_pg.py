"""The PostgreSQL write path: one call of ``ledger_write(jsonb)`` per batch, one round trip.

``ledger.write_path`` chooses it on PostgreSQL and has already validated the batch; here we
compute each account's delta, send the batch as one JSON document, and turn the answer into
entries or typed errors. A ``replay`` answer means some key already exists (or a hold was
resolved meanwhile): nothing was written, so we answer the replays from the table and send
the rest again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from ledger.canonical import utc_iso
from ledger.entry_checks import AccountFacts
from ledger.errors import AccountClosed, InsufficientFunds, LedgerError, UnknownAccount
from ledger.types import Entry, Phase
from ledger.types import Posting as PostingResult
from ledger.write_batch import Replay, WriteItem, balance_deltas, written_entry

_CALL = text("SELECT ledger_write(CAST(:doc AS jsonb))")
MAX_ROUNDS = 2  # the first call, and one more with the keys that turned out to be fresh


def write_items_pg(
    conn: Connection,
    items: Sequence[WriteItem],
    booked_at: datetime,
    replay: Replay,
    facts: dict[int, AccountFacts],
) -> list[Entry]:
    """Write the items (validated, their accounts in ``facts``); replays return the first
    entries. A refusal raised here has written nothing."""
    results: list[Entry | None] = [None] * len(items)
    pending = list(enumerate(items))
    for _ in range(MAX_ROUNDS):
        batch = [item for _, item in pending]
        answer = conn.execute(_CALL, {"doc": json.dumps(_document(batch, booked_at))}).scalar_one()
        if "error" in answer:
            raise _refusal(answer, facts)
        if not answer.get("replay"):
            built = _entries(batch, answer, booked_at, facts)
            for (index, _item), entry in zip(pending, built, strict=True):
                results[index] = entry
            return [r for r in results if r is not None]
        still = []
        for index, item in pending:
            existing = replay(item.key, item.content_hash)
            if existing is None:
                still.append((index, item))
            else:
                results[index] = existing
        if len(still) == len(pending):  # no key existed: another unique rule said no
            raise still[0][1].conflict_error()
        if not still:
            return [r for r in results if r is not None]
        pending = still
    raise LedgerError("the batch kept meeting concurrent writers; retry")


def _document(batch: Sequence[WriteItem], booked_at: datetime) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return utc_iso(value) if value is not None else None

    items = []
    for item in batch:
        v = item.values
        items.append(
            {
                "key": item.key,
                "hash": item.content_hash,
                "kind": v["kind"],
                "description": v["description"],
                "reference": v["reference"],
                "meta": v["meta"],
                "effective_at": when(v["effective_at"]),
                "expires_at": when(v.get("expires_at")),
                "pending_entry_id": v.get("pending_entry_id"),
                "reversed_entry_id": v.get("reversed_entry_id"),
                "lines": [
                    [line.account_id, line.side.value, line.amount_minor, phase.value]
                    for line, phase in item.new_lines
                ],
            }
        )
    return {
        "booked_at": utc_iso(booked_at),
        "items": items,
        "line_count": sum(len(item.new_lines) for item in batch),
        "deltas": [[account_id, *parts] for account_id, parts in balance_deltas(batch).items()],
    }


def _refusal(answer: dict[str, Any], facts: dict[int, AccountFacts]) -> LedgerError:
    account_id = answer.get("account_id")
    code = facts[account_id].code if account_id in facts else "?"
    if answer["error"] == "account_closed":
        return AccountClosed(f"account {account_id} ({code}) is closed")
    if answer["error"] == "insufficient_funds":
        return InsufficientFunds(f"account {account_id} ({code}) would be overdrawn")
    return UnknownAccount("an account of the entry no longer exists")


def _entries(
    batch: Sequence[WriteItem],
    answer: dict[str, Any],
    booked_at: datetime,
    facts: dict[int, AccountFacts],
) -> list[Entry]:
    ids: dict[str, int] = answer["entries"]
    posting_ids: dict[int, list[int]] = {}
    for entry_id, posting_id in answer["postings"]:
        posting_ids.setdefault(entry_id, []).append(posting_id)
    built = []
    for item in batch:
        entry_id = ids[item.key]
        postings = [
            PostingResult(
                id=pid,
                account_id=line.account_id,
                side=line.side,
                amount_minor=line.amount_minor,
                currency=facts[line.account_id].currency,
                phase=Phase(phase),
            )
            for pid, (line, phase) in zip(
                posting_ids.get(entry_id, []), item.new_lines, strict=True
            )
        ]
        built.append(written_entry(item, entry_id, booked_at, postings))
    return built
