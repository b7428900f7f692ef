"""Writing entries: post (one or a batch), hold, post or void a hold, expire holds, reverse.

Every write validates its request in Python first, so a refusal names the broken rule, then
goes through ``ledger.write_path`` inside its own SAVEPOINT, so a refusal leaves nothing in
the caller's transaction. A replayed idempotency key returns the first entry; a reused key
with other content raises ``IdempotencyConflict``.

A session whose ``info`` holds a ``WRITE_GUARD`` asks it before every write: a reason
refuses the write (``LedgerWritesRefused``), None lets it through. The app's guard refuses
staff whose route does not move money.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from ledger import entry_checks
from ledger.canonical import content_hash
from ledger.errors import (
    AccountClosed,
    HoldExpired,
    HoldNotPending,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidEntry,
    LedgerError,
    LedgerWritesRefused,
    NotReversible,
    UnknownAccount,
    UnknownEntry,
)
from ledger.queries import load_entry
from ledger.schema import JournalEntry
from ledger.types import Entry, EntryKind, EntryRequest, Phase, PostingLine, Side
from ledger.types import Posting as PostingResult
from ledger.write_batch import WriteItem
from ledger.write_path import needs_savepoint, write_items

HOLD_EXPIRY_BATCH = 500
MAX_BATCH = 1_000
WRITE_GUARD = "ledger.write_guard"
"""Key of ``Session.info``: a callable answering why the session may not write now, or None."""


class EntryWriter:
    """Writes entries on one session; the caller owns the transaction (commits or rolls back)."""

    def __init__(self, session: Session, now: datetime) -> None:
        self._session = session
        self._now = now

    # -- public operations -------------------------------------------------------------

    def post(
        self,
        request: EntryRequest,
        kind: EntryKind = EntryKind.POSTED,
        expires_at: datetime | None = None,
    ) -> Entry:
        try:
            document, values, lines = self._request_parts(request, kind, expires_at)
        except InvalidEntry:
            # A retry of a request that was valid when first made (a hold whose expiry has
            # passed since) is still a replay: answer it before the refusal.
            replay = self._replay_of(request, kind, expires_at)
            if replay is not None:
                return replay
            raise
        return self._write(request.idempotency_key, document, values, lines, released=[])

    def _replay_of(
        self, request: EntryRequest, kind: EntryKind, expires_at: datetime | None
    ) -> Entry | None:
        try:
            entry_checks.check_key(request.idempotency_key)
            chash = content_hash(entry_checks.request_document(request, kind, expires_at))
        except (InvalidEntry, TypeError, ValueError):
            return None
        return self._replay_by_hash(request.idempotency_key, chash)

    def post_many(self, requests: Sequence[EntryRequest]) -> list[Entry]:
        """Post a batch atomically: every entry, or (on any refusal) none of them.

        Each touched account's balance moves once, by the batch's total, in the global lock
        order, so a batch costs one UPDATE per distinct account however many entries it holds.
        """
        if not 0 < len(requests) <= MAX_BATCH:
            raise InvalidEntry(f"a batch holds 1 to {MAX_BATCH} entries")
        if len({r.idempotency_key for r in requests}) != len(requests):
            raise InvalidEntry("idempotency keys repeat within the batch")
        items = []
        for request in requests:
            entry_checks.check_key(request.idempotency_key)
            document, values, lines = self._request_parts(request, EntryKind.POSTED, None)
            items.append(WriteItem(request.idempotency_key, content_hash(document), values, lines))
        return self._write_items(items)

    def _request_parts(
        self, request: EntryRequest, kind: EntryKind, expires_at: datetime | None
    ) -> tuple[dict[str, Any], dict[str, Any], list[tuple[PostingLine, Phase]]]:
        """The request's canonical document, its entry row values and its posting lines."""
        lines = entry_checks.check_request(request, expires_at, self._now, kind)
        phase = Phase.PENDING if kind == EntryKind.PENDING else Phase.POSTED
        values = dict(
            kind=kind.value,
            description=request.description,
            reference=request.reference,
            meta=dict(request.metadata),
            effective_at=request.effective_at or self._now,
            expires_at=expires_at,
        )
        return (
            entry_checks.request_document(request, kind, expires_at),
            values,
            [(line, phase) for line in lines],
        )

    def post_hold(
        self,
        hold_id: int,
        idempotency_key: str,
        amounts: Sequence[int] | None,
        description: str,
        effective_at: datetime | None,
    ) -> Entry:
        document = {
            "op": "post_pending",
            "hold": hold_id,
            "amounts": list(amounts or []) or None,
            "description": description,
            "effective_at": effective_at,
        }
        hold = self._open_hold(hold_id, idempotency_key, document)
        if hold.replayed:
            return hold
        if hold.expires_at is not None and hold.expires_at <= self._now:
            raise HoldExpired(f"hold {hold_id} expired at {hold.expires_at.isoformat()}")
        posted = entry_checks.partial_lines(hold, amounts)
        return self._write(
            idempotency_key,
            document,
            values=dict(
                kind=EntryKind.POST_PENDING.value,
                description=description,
                reference=hold.reference,
                meta=dict(hold.metadata),
                effective_at=effective_at or self._now,
                pending_entry_id=hold_id,
            ),
            new_lines=[(line, Phase.POSTED) for line in posted],
            released=list(hold.postings),
        )

    def void_hold(
        self, hold_id: int, idempotency_key: str, kind: EntryKind, description: str
    ) -> Entry:
        document = {"op": kind.value, "hold": hold_id, "description": description}
        hold = self._open_hold(hold_id, idempotency_key, document)
        if hold.replayed:
            return hold
        return self._write(
            idempotency_key,
            document,
            values=dict(
                kind=kind.value,
                description=description,
                reference=hold.reference,
                meta=dict(hold.metadata),
                effective_at=self._now,
                pending_entry_id=hold_id,
            ),
            new_lines=[],
            released=list(hold.postings),
        )

    def expire_holds(self, limit: int = HOLD_EXPIRY_BATCH) -> list[Entry]:
        """Release every open hold whose ``expires_at`` has passed (up to ``limit`` per call)."""
        resolution = JournalEntry.__table__.alias("resolution")
        conn = self._conn()
        due = (
            conn.execute(
                select(JournalEntry.id)
                .outerjoin(resolution, resolution.c.pending_entry_id == JournalEntry.id)
                .where(
                    JournalEntry.kind == EntryKind.PENDING.value,
                    JournalEntry.expires_at <= self._now,
                    resolution.c.id.is_(None),
                )
                .order_by(JournalEntry.id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
        expired = []
        for hold_id in due:
            try:
                expired.append(
                    self.void_hold(
                        hold_id,
                        f"ledger:expire:{hold_id}",
                        EntryKind.EXPIRE_PENDING,
                        "hold expired",
                    )
                )
            except HoldNotPending:
                continue  # resolved by someone else since we looked: nothing to do
        return expired

    def reverse(
        self, entry_id: int, idempotency_key: str, description: str, effective_at: datetime | None
    ) -> Entry:
        document = {
            "op": "reversal",
            "entry": entry_id,
            "description": description,
            "effective_at": effective_at,
        }
        replay = self._replay(idempotency_key, document)
        if replay is not None:
            return replay
        original = self._load(entry_id)
        if original.kind not in (EntryKind.POSTED, EntryKind.POST_PENDING):
            raise NotReversible(f"entry {entry_id} is a {original.kind.value} entry")
        reversed_by = (
            self._conn()
            .execute(select(JournalEntry.id).where(JournalEntry.reversed_entry_id == entry_id))
            .scalar_one_or_none()
        )
        if reversed_by is not None:
            raise NotReversible(f"entry {entry_id} is already reversed by entry {reversed_by}")
        mirrored = [
            PostingLine(
                p.account_id, Side.CREDIT if p.side == Side.DEBIT else Side.DEBIT, p.amount_minor
            )
            for p in original.postings
        ]
        return self._write(
            idempotency_key,
            document,
            values=dict(
                kind=EntryKind.REVERSAL.value,
                description=description,
                reference=original.reference,
                meta=dict(original.metadata),
                effective_at=effective_at or self._now,
                reversed_entry_id=entry_id,
            ),
            new_lines=[(line, Phase.POSTED) for line in mirrored],
            released=[],
            conflict=lambda: NotReversible(f"entry {entry_id} is already reversed"),
        )

    # -- the one write path ------------------------------------------------------------

    def _write(
        self,
        key: str,
        document: dict[str, Any],
        values: dict[str, Any],
        new_lines: list[tuple[PostingLine, Phase]],
        released: list[PostingResult],
        conflict: Callable[[], LedgerError] | None = None,
    ) -> Entry:
        entry_checks.check_key(key)
        pending = values.get("pending_entry_id")
        item = WriteItem(
            key,
            content_hash(document),
            values,
            new_lines,
            released,
            conflict or (lambda: HoldNotPending(f"hold {pending} is no longer pending")),
        )
        try:
            return self._write_items([item])[0]
        except (UnknownAccount, AccountClosed, InvalidEntry, InsufficientFunds):
            replay = self._replay(key, document)  # a valid replay outranks a later refusal
            if replay is not None:
                return replay
            raise

    def _write_items(self, items: list[WriteItem]) -> list[Entry]:
        guard = self._session.info.get(WRITE_GUARD)
        refusal = guard() if guard is not None else None
        if refusal is not None:
            raise LedgerWritesRefused(refusal)
        if not needs_savepoint(self._conn()):
            return write_items(self._conn(), items, self._now, self._replay_by_hash)
        with self._session.begin_nested():
            # The connection must be asked for inside the block: that is what emits SAVEPOINT.
            return write_items(self._conn(), items, self._now, self._replay_by_hash)

    # -- helpers ---------------------------------------------------------------------

    def _conn(self) -> Connection:
        return self._session.connection()

    def _load(self, entry_id: int) -> Entry:
        entry = load_entry(self._conn(), entry_id)
        if entry is None:
            raise UnknownEntry(f"no entry {entry_id}")
        return entry

    def _open_hold(self, hold_id: int, key: str, document: dict[str, Any]) -> Entry:
        """The hold to resolve, or the earlier resolution if ``key`` is a replay."""
        replay = self._replay(key, document)
        if replay is not None:
            return replay
        hold = self._load(hold_id)
        if hold.kind != EntryKind.PENDING:
            raise HoldNotPending(f"entry {hold_id} is not a hold")
        resolved = (
            self._conn()
            .execute(select(JournalEntry.kind).where(JournalEntry.pending_entry_id == hold_id))
            .scalar_one_or_none()
        )
        if resolved is not None:
            raise HoldNotPending(f"hold {hold_id} is already resolved ({resolved})")
        return hold

    def _replay(self, key: str, document: dict[str, Any]) -> Entry | None:
        entry_checks.check_key(key)
        return self._replay_by_hash(key, content_hash(document))

    def _replay_by_hash(self, key: str, chash: str) -> Entry | None:
        found = (
            self._conn()
            .execute(
                select(JournalEntry.id, JournalEntry.content_hash).where(
                    JournalEntry.idempotency_key == key
                )
            )
            .one_or_none()
        )
        if found is None:
            return None
        if found.content_hash != chash:
            raise IdempotencyConflict(f"idempotency key {key!r} was used for a different request")
        return dataclasses.replace(self._load(found.id), replayed=True)
