"""What both write paths share: a batch item to write, the accounts' deltas, the result.

``ledger.write_path`` picks the path by dialect (``write_path_sqlite`` or ``write_path_pg``);
both take a list of ``WriteItem`` validated in Python and answer with ``Entry`` values built
here, so the two paths cannot drift in what they return. Amounts are minor units throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.errors import LedgerError
from ledger.types import Entry, EntryKind, Phase, PostingLine, Side
from ledger.types import Posting as PostingResult

Replay = Callable[[str, str], Entry | None]
"""Looks up an existing entry by (key, content hash); raises on a conflicting reuse."""


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

    def conflict_error(self) -> LedgerError:
        """Why the entry could not be inserted though its key was free."""
        if self.on_conflict is not None:
            return self.on_conflict()
        return LedgerError(f"entry {self.key!r} could not be written")


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


def written_entry(
    item: WriteItem, entry_id: int, booked_at: datetime, postings: Sequence[PostingResult]
) -> Entry:
    """The entry as written: the item's values, its new id, its postings with their ids."""
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
