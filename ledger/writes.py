"""Writing entries: post, hold, post or void a hold, expire holds, reverse.

Every write
1. validates the request in Python, so a refusal names the broken rule;
2. runs inside its own SAVEPOINT, so a refusal leaves nothing in the caller's transaction;
3. inserts the entry with ON CONFLICT DO NOTHING: a replayed idempotency key gets the first
   entry back, a reused key with other content gets ``IdempotencyConflict``;
4. inserts the postings, then moves balances with one conditional UPDATE per account.

Locking: the UPDATEs run in one global order (ordinary accounts by id, then hot accounts by
id). One order for every writer means two entries can never wait on each other's rows
(no deadlock); hot accounts last means the most contended row lock is held only from its
UPDATE to COMMIT. Each UPDATE re-checks the account's balance constraint in its WHERE
clause against the locked row, so two writers can never both spend the same credit (no lost
update, no overdraft); the CHECK constraints on the table are the backstop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    NotReversible,
    UnknownAccount,
    UnknownEntry,
)
from ledger.queries import load_entry
from ledger.schema import Account, JournalEntry, Posting
from ledger.types import Entry, EntryKind, EntryRequest, Phase, PostingLine, Side
from ledger.types import Posting as PostingResult

HOLD_EXPIRY_BATCH = 500


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
        lines = entry_checks.check_request(request, expires_at, self._now, kind)
        document = entry_checks.request_document(request, kind, expires_at)
        phase = Phase.PENDING if kind == EntryKind.PENDING else Phase.POSTED
        return self._write(
            request.idempotency_key,
            document,
            values=dict(
                kind=kind.value,
                description=request.description,
                reference=request.reference,
                meta=dict(request.metadata),
                effective_at=request.effective_at or self._now,
                expires_at=expires_at,
            ),
            new_lines=[(line, phase) for line in lines],
            released=[],
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
        conflict: Any = None,
    ) -> Entry:
        entry_checks.check_key(key)
        chash = content_hash(document)
        try:
            with self._session.begin_nested():
                return self._write_in_savepoint(key, chash, values, new_lines, released, conflict)
        except (UnknownAccount, AccountClosed, InvalidEntry, InsufficientFunds):
            replay = self._replay(key, document)  # a valid replay outranks a later refusal
            if replay is not None:
                return replay
            raise

    def _write_in_savepoint(
        self,
        key: str,
        chash: str,
        values: dict[str, Any],
        new_lines: list[tuple[PostingLine, Phase]],
        released: list[PostingResult],
        conflict: Any,
    ) -> Entry:
        conn = self._conn()
        account_ids = {line.account_id for line, _ in new_lines} | {p.account_id for p in released}
        facts = entry_checks.fetch_facts(conn, account_ids)
        entry_checks.check_lines(facts, [line for line, _ in new_lines])
        booked_at = self._now
        row = {**values, "idempotency_key": key, "content_hash": chash, "booked_at": booked_at}
        entry_id = conn.execute(
            self._insert_ignoring_conflicts(row).returning(JournalEntry.id)
        ).scalar_one_or_none()
        if entry_id is None:
            existing = self._replay_by_hash(key, chash)
            if existing is not None:
                return existing
            raise (
                conflict()
                if conflict
                else HoldNotPending(f"hold {values.get('pending_entry_id')} is no longer pending")
            )
        postings = self._insert_postings(conn, entry_id, new_lines, facts, values["effective_at"])
        deltas: dict[int, _Delta] = {}
        for line, phase in new_lines:
            deltas.setdefault(line.account_id, _Delta()).add(line.side, phase, line.amount_minor)
        for p in released:
            deltas.setdefault(p.account_id, _Delta()).add(p.side, Phase.PENDING, -p.amount_minor)
        self._move_balances(conn, deltas, facts)
        return Entry(
            id=entry_id,
            idempotency_key=key,
            kind=EntryKind(values["kind"]),
            description=values["description"],
            reference=values["reference"],
            metadata=values["meta"],
            effective_at=values["effective_at"],
            booked_at=booked_at,
            postings=tuple(postings),
            pending_entry_id=values.get("pending_entry_id"),
            reversed_entry_id=values.get("reversed_entry_id"),
            expires_at=values.get("expires_at"),
        )

    def _insert_ignoring_conflicts(self, row: dict[str, Any]) -> Any:
        dialect = self._conn().dialect.name
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        return make(JournalEntry).values(**row).on_conflict_do_nothing()

    def _insert_postings(
        self,
        conn: Connection,
        entry_id: int,
        new_lines: list[tuple[PostingLine, Phase]],
        facts: dict[int, entry_checks.AccountFacts],
        effective_at: datetime,
    ) -> list[PostingResult]:
        if not new_lines:
            return []
        rows: list[dict[str, Any]] = [
            dict(
                entry_id=entry_id,
                account_id=line.account_id,
                currency=facts[line.account_id].currency,
                side=line.side.value,
                amount_minor=line.amount_minor,
                phase=phase.value,
                effective_at=effective_at,
            )
            for line, phase in new_lines
        ]
        ids = (
            conn.execute(insert(Posting).returning(Posting.id, sort_by_parameter_order=True), rows)
            .scalars()
            .all()
        )
        return [
            PostingResult(
                id=pid,
                account_id=r["account_id"],
                side=Side(r["side"]),
                amount_minor=r["amount_minor"],
                currency=r["currency"],
                phase=Phase(r["phase"]),
            )
            for pid, r in zip(ids, rows, strict=True)
        ]

    def _move_balances(
        self,
        conn: Connection,
        deltas: dict[int, _Delta],
        facts: dict[int, entry_checks.AccountFacts],
    ) -> None:
        for account_id in sorted(deltas, key=lambda a: (facts[a].hot, a)):
            d = deltas[account_id]
            moved = conn.execute(
                _MOVE_BALANCE,
                dict(
                    id=account_id,
                    dp=d.debits_posted,
                    cp=d.credits_posted,
                    dq=d.debits_pending,
                    cq=d.credits_pending,
                ),
            ).rowcount
            if moved != 1:
                closed = conn.execute(
                    select(Account.closed_at).where(Account.id == account_id)
                ).scalar_one()
                if closed is not None:
                    raise AccountClosed(f"account {account_id} is closed")
                raise InsufficientFunds(
                    f"account {account_id} ({facts[account_id].code}) would be overdrawn"
                )

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
