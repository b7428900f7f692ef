"""Abuse limits: keyed counters in fixed windows, kept in the database so every API process
and every channel (app, USSD) shares them.

A ``RateRule`` allows ``limit`` hits per ``window`` for one subject. ``hit`` counts one attempt
with a single atomic UPSERT (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, on SQLite and
PostgreSQL alike) and answers whether that attempt is within the limit, so concurrent attempts
can never all slip under it. ``forgive`` takes one hit back when an attempt turns out to be
legitimate (a right PIN, a right code): a rule can then count failures only, with no
read-then-write race, because every attempt reserves its slot before it is tried.

Invariants: a key never holds a phone number, a national ID or an IP address in clear (callers
pass a keyed digest as the subject); the count of a window never goes below zero; expired
windows are deleted in bounded batches whenever a new window opens, so the table holds about
one row per active subject and rule. Windows are fixed (aligned to the Unix epoch): a burst
across a boundary can reach twice the limit, which is acceptable for abuse limits.

Transactions: ``charge`` runs in its own unit of work and commits before the guarded attempt
is tried, so an attempt is counted even when the request it guarded fails.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import CheckConstraint, Index, Integer, String, UniqueConstraint, delete, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db.base import Base
from app.db.session import Sessions
from app.db.upsert import insert_for
from ledger.sqltypes import BigIntPK, UTCDateTime

PRUNE_BATCH = 500
"""Expired windows deleted at most per new window (bounded work on the request path)."""
MAX_KEY_CHARS = 160
_RULE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RateLimitCounter(Base):
    """Hits of one key (rule and subject) in one fixed window."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = (
        UniqueConstraint("key", "window_start", name="uq_rate_limit_counters_key_window"),
        CheckConstraint("hits >= 0", name="hits_non_negative"),
        CheckConstraint("expires_at > window_start", name="window_positive"),
        Index("ix_rate_limit_counters_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_CHARS))
    """``<rule name>:<subject>``; the subject is a keyed digest, never a clear identifier."""
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    """Start of the fixed window (a multiple of the rule's window since the epoch)."""
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """End of the window: the row is useless (and pruned) after it."""
    hits: Mapped[int] = mapped_column(Integer)
    """Attempts counted in the window, less those forgiven."""


class InvalidRateRule(ValueError):
    """A rule with a bad name, a limit below one or a window that is not whole seconds."""


@dataclass(frozen=True, slots=True)
class RateRule:
    name: str
    """Lower-case name, e.g. ``login_phone``: the first part of every key of the rule."""
    limit: int
    """Hits allowed per window."""
    window: timedelta

    def __post_init__(self) -> None:
        if not _RULE_NAME.fullmatch(self.name):
            raise InvalidRateRule("a rule name is a lower-case word like 'login_phone'")
        if self.limit < 1:
            raise InvalidRateRule("a rule allows at least one hit")
        seconds = self.window.total_seconds()
        if seconds < 1 or seconds != int(seconds):
            raise InvalidRateRule("a rule's window is a whole number of seconds")

    def window_of(self, now: datetime) -> tuple[datetime, datetime]:
        """The fixed window holding ``now``: (start, end)."""
        size = int(self.window.total_seconds())
        elapsed = int((now - _EPOCH).total_seconds())
        start = _EPOCH + timedelta(seconds=elapsed - elapsed % size)
        return start, start + self.window


@dataclass(frozen=True, slots=True)
class Hit:
    """One counted attempt: where it was counted and whether it was within the limit."""

    rule: RateRule
    key: str
    window_start: datetime
    window_end: datetime
    count: int
    """The window's count including this hit."""
    now: datetime

    @property
    def allowed(self) -> bool:
        return self.count <= self.rule.limit

    @property
    def retry_after_s(self) -> int:
        """Whole seconds until the window ends (at least 1): the ``Retry-After`` value."""
        return max(1, int((self.window_end - self.now).total_seconds() + 0.999))


def key_for(rule: RateRule, subject: str) -> str:
    key = f"{rule.name}:{subject}"
    if not subject or len(key) > MAX_KEY_CHARS:
        raise InvalidRateRule(f"a subject is 1 to {MAX_KEY_CHARS - len(rule.name) - 1} chars")
    return key


def hit(session: Session, rule: RateRule, subject: str, now: datetime) -> Hit:
    """Count one attempt for ``subject`` under ``rule`` (one statement; flushes, never commits)."""
    key = key_for(rule, subject)
    start, end = rule.window_of(now)
    statement = insert_for(session, RateLimitCounter).values(
        key=key, window_start=start, expires_at=end, hits=1
    )
    count = session.execute(
        statement.on_conflict_do_update(
            index_elements=[RateLimitCounter.key, RateLimitCounter.window_start],
            set_={"hits": RateLimitCounter.hits + 1},
        ).returning(RateLimitCounter.hits)
    ).scalar_one()
    return Hit(rule, key, start, end, int(count), now)


def forgive(session: Session, counted: Hit) -> None:
    """Take one hit back from the window it was counted in (never below zero)."""
    session.execute(
        sql_update(RateLimitCounter)
        .where(
            RateLimitCounter.key == counted.key,
            RateLimitCounter.window_start == counted.window_start,
            RateLimitCounter.hits > 0,
        )
        .values(hits=RateLimitCounter.hits - 1)
    )


def prune(session: Session, now: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to ``batch`` windows that ended by ``now``; returns how many."""
    expired = (
        select(RateLimitCounter.id)
        .where(RateLimitCounter.expires_at <= now)
        .order_by(RateLimitCounter.expires_at)
        .limit(batch)
    )
    ids = list(session.scalars(expired))
    if not ids:
        return 0
    session.execute(delete(RateLimitCounter).where(RateLimitCounter.id.in_(ids)))
    return len(ids)


def charge(sessions: Sessions, checks: Sequence[tuple[RateRule, str]], now: datetime) -> list[Hit]:
    """Count one attempt under each (rule, subject) in one committed transaction.

    Every rule is charged even when an earlier one refuses, so an attacker cannot save
    another rule's budget by being refused first. Opening a new window prunes old ones.
    """
    # Rows are locked in key order, so two charges sharing keys never wait on each other
    # in a cycle (a deadlock on PostgreSQL).
    order = sorted(range(len(checks)), key=lambda i: key_for(*checks[i]))
    counted: dict[int, Hit] = {}
    with sessions.unit_of_work() as session:
        for i in order:
            counted[i] = hit(session, checks[i][0], checks[i][1], now)
        if any(h.count == 1 for h in counted.values()):
            prune(session, now)
    return [counted[i] for i in range(len(checks))]


def refund(sessions: Sessions, hits: Sequence[Hit]) -> None:
    """Forgive each hit in one committed transaction (the attempts were legitimate)."""
    with sessions.unit_of_work() as session:
        for counted in hits:
            forgive(session, counted)


def refused(hits: Sequence[Hit]) -> Hit | None:
    """The refusing hit whose window ends last (its wait covers all of them), or None."""
    over = [h for h in hits if not h.allowed]
    return max(over, key=lambda h: h.window_end) if over else None
