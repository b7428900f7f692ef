"""Hashing audit records and verifying their chain.

A record's hash is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8, times in
UTC with microseconds) of all its fields including ``prev_hash``; so changing any field of a
record breaks its own hash, and removing, inserting or reordering records breaks the link
of the next one. ``verify_chain`` walks the whole log in id order, in bounded batches, and
names the first break; it also checks the head, which catches records added or removed at
the end. (A database superuser can still rewrite a whole chain and its head: export the head
hash regularly to somewhere they cannot write, see docs/backoffice.md.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import GENESIS_HASH, HEAD_ID, AuditChainHead, AuditRecord
from ledger.canonical import canonical_bytes, sha256_hex, utc_iso

VERIFY_BATCH = 1_000


def record_hash(  # noqa: PLR0913  (keyword-only: every field the hash covers, by name)
    *,
    position: int,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    subject_type: str,
    subject_id: str | None,
    before: Any,
    after: Any,
    request_id: str | None,
    prev_hash: str,
) -> str:
    document = {
        "id": position,
        "at": utc_iso(at),
        "actor": actor,
        "role": role,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "before": before,
        "after": after,
        "request_id": request_id,
        "prev_hash": prev_hash,
    }
    return sha256_hex(canonical_bytes(document))


class RecordFields(Protocol):
    """A stored record: an ``AuditRecord`` or a row of its columns."""

    @property
    def id(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def subject_type(self) -> str: ...
    @property
    def subject_id(self) -> str | None: ...
    @property
    def before(self) -> Any: ...
    @property
    def after(self) -> Any: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def hash_of(record: RecordFields) -> str:
    """The hash a stored record should carry, recomputed from its fields."""
    return record_hash(
        position=record.id,
        at=record.at,
        actor=record.actor,
        role=record.role,
        action=record.action,
        subject_type=record.subject_type,
        subject_id=record.subject_id,
        before=record.before,
        after=record.after,
        request_id=record.request_id,
        prev_hash=record.prev_hash,
    )


@dataclass(frozen=True, slots=True)
class ChainBreak:
    position: int | None
    """The first record that does not verify (None: the head disagrees with the log)."""
    problem: str
    """``content_changed``, ``missing_record``, ``broken_link`` or ``head_mismatch``."""
    detail: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    records_checked: int
    last_hash: str
    head_length: int | None
    head_hash: str | None
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(session: Session, batch: int = VERIFY_BATCH) -> ChainReport:
    expected_id, previous_hash, checked = 1, GENESIS_HASH, 0
    while True:
        # Plain rows, not ORM objects: nothing accumulates in the session on a long log.
        rows = session.execute(
            select(*AuditRecord.__table__.columns)
            .where(AuditRecord.id >= expected_id)
            .order_by(AuditRecord.id)
            .limit(batch)
        ).all()
        for record in rows:
            found = _check(record, expected_id, previous_hash)
            if found is not None:
                return _report(session, checked, previous_hash, found)
            expected_id, previous_hash, checked = record.id + 1, record.hash, checked + 1
        if len(rows) < batch:
            break
    return _report(session, checked, previous_hash, None)


def _check(record: RecordFields, expected_id: int, previous_hash: str) -> ChainBreak | None:
    if record.id != expected_id:
        return ChainBreak(
            expected_id,
            "missing_record",
            f"record {expected_id} is missing: the log jumps from {expected_id - 1} to {record.id}",
        )
    if hash_of(record) != record.hash:
        return ChainBreak(
            record.id, "content_changed", f"record {record.id} does not match its own hash"
        )
    if record.prev_hash != previous_hash:
        return ChainBreak(
            record.id,
            "broken_link",
            f"record {record.id} does not follow record {record.id - 1} "
            "(a record before it was replaced, or it was inserted)",
        )
    return None


def _report(
    session: Session, checked: int, last_hash: str, found: ChainBreak | None
) -> ChainReport:
    head = session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    head_length = head.length if head is not None else None
    head_hash = head.last_hash if head is not None else None
    if found is None and (head_length, head_hash) != (checked, last_hash):
        found = ChainBreak(
            None,
            "head_mismatch",
            f"the head names {head_length} records ending in {str(head_hash)[:12]}..., "
            f"the log holds {checked} ending in {last_hash[:12]}... "
            "(records were added or removed at the end)",
        )
    return ChainReport(checked, last_hash, head_length, head_hash, found)
