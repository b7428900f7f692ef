"""Appending to the audit log, and reading it back.

``record`` writes in the caller's transaction (it flushes, never commits), so an action and
its record commit or vanish together. Appends are serialised by a row lock on the chain head
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write transactions are already serial):
without it two transactions could both link to the same last record and fork the chain.
Take it last, after every other lock of the use case, so it is held for the shortest time
and no lock-order cycle can include it.

What goes into ``before``/``after`` must be plain JSON (no floats) and never a full phone
number or national ID: callers pass masked or non-identifying fields only.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.chain import record_hash
from app.audit.models import HEAD_ID, AuditChainHead, AuditRecord
from app.staff.models import StaffUser
from ledger.canonical import utc_iso

MAX_PAGE = 500
DEFAULT_PAGE = 100


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a staff member, in a role, within a request."""

    username: str
    role: str
    request_id: str | None = None


def current_request_id() -> str | None:
    """The request id the HTTP middleware (or a task) bound into the logging context."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value)[:64] if value else None


def staff_actor(user: StaffUser) -> Actor:
    """The signed-in staff member, acting within the current request."""
    return Actor(user.username, user.role, current_request_id())


class AuditChainMissing(RuntimeError):
    """The chain head row is missing: the database was not built by the migrations."""


Subject = tuple[str, str | int | None]


def record(  # noqa: PLR0913  (the audit row's own fields: who, what, on what, when, before, after)
    session: Session,
    actor: Actor,
    action: str,
    subject: Subject,
    now: datetime,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """Append one record to the chain, in the caller's transaction."""
    subject_type, subject_id = subject
    plain_before, plain_after = _plain(before), _plain(after)
    head = session.get(AuditChainHead, HEAD_ID, with_for_update=True, populate_existing=True)
    if head is None:
        raise AuditChainMissing("audit_chain_head has no row: run `mkopo migrate`")
    position = head.length + 1
    fields: dict[str, Any] = dict(
        at=now,
        actor=actor.username,
        role=actor.role,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        before=plain_before,
        after=plain_after,
        request_id=actor.request_id,
        prev_hash=head.last_hash,
    )
    entry = AuditRecord(id=position, hash=record_hash(position=position, **fields), **fields)
    session.add(entry)
    session.flush()  # the record first: the head's trigger checks the row it moves onto
    head.length, head.last_hash, head.updated_at = position, entry.hash, now
    session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    """Records at or after this time."""
    until: datetime | None = None
    """Records before this time."""


def search(
    session: Session, where: AuditFilter, after_id: int = 0, limit: int = DEFAULT_PAGE
) -> Sequence[AuditRecord]:
    """Records matching every given filter, in chain order, after ``after_id``."""
    query = select(AuditRecord).where(AuditRecord.id > after_id)
    if where.actor is not None:
        query = query.where(AuditRecord.actor == where.actor)
    if where.action is not None:
        query = query.where(AuditRecord.action == where.action)
    if where.subject_type is not None:
        query = query.where(AuditRecord.subject_type == where.subject_type)
    if where.subject_id is not None:
        query = query.where(AuditRecord.subject_id == where.subject_id)
    if where.since is not None:
        query = query.where(AuditRecord.at >= where.since)
    if where.until is not None:
        query = query.where(AuditRecord.at < where.until)
    return session.scalars(query.order_by(AuditRecord.id).limit(min(limit, MAX_PAGE))).all()


class NotPlainJson(TypeError):
    """A value that has no exact JSON form (a float, an object): a bug in the caller."""


def _plain(value: Any) -> Any:
    """The value as JSON-native types, so it hashes the same before and after storage."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")  # PostgreSQL's JSON cannot hold NUL
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise NotPlainJson(f"cannot audit a {type(value).__name__} exactly")
