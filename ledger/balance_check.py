"""Recompute every account's running totals from the postings, and name the accounts whose
stored totals disagree.

An account's four totals must equal: posted debits and credits = the sums of its posted
postings; pending debits and credits = the sums of its pending postings whose hold is still
open (no entry resolves it). One set-based query does every account at once (one scan of the
postings, in one snapshot), so the answer is consistent even while writers run. The database
guard (``ledger.balance_guard``) stops plain UPDATEs of the totals; this check is what
catches whoever got past it (a superuser with triggers off, an edited SQLite file).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from ledger.schema import Account, JournalEntry, Posting
from ledger.types import Phase, Side

MAX_MISMATCHES_REPORTED = 100
"""The report names this many accounts (by code) and counts the rest."""

Totals = tuple[int, int, int, int]
"""debits posted, credits posted, debits pending, credits pending"""


@dataclass(frozen=True, slots=True)
class TotalsMismatch:
    account_id: int
    code: str
    stored: Totals
    recomputed: Totals
    """From the postings."""


@dataclass(frozen=True, slots=True)
class TotalsReport:
    accounts_checked: int
    mismatches: tuple[TotalsMismatch, ...]
    """The first ``MAX_MISMATCHES_REPORTED`` disagreeing accounts, by code."""
    mismatched_accounts: int
    """All of them."""

    @property
    def ok(self) -> bool:
        return self.mismatched_accounts == 0


def _sum(side: Side, phase: Phase, *more: ColumnElement[bool]) -> ColumnElement[int]:
    hit = and_(Posting.side == side.value, Posting.phase == phase.value, *more)
    return func.coalesce(func.sum(case((hit, Posting.amount_minor), else_=0)), 0)


def check_totals(conn: Connection) -> TotalsReport:
    resolution = JournalEntry.__table__.alias("resolution")
    hold_open = resolution.c.id.is_(None)
    sums = (
        select(
            Posting.account_id,
            _sum(Side.DEBIT, Phase.POSTED).label("dp"),
            _sum(Side.CREDIT, Phase.POSTED).label("cp"),
            _sum(Side.DEBIT, Phase.PENDING, hold_open).label("dq"),
            _sum(Side.CREDIT, Phase.PENDING, hold_open).label("cq"),
        )
        .select_from(Posting)
        .outerjoin(resolution, resolution.c.pending_entry_id == Posting.entry_id)
        .group_by(Posting.account_id)
        .subquery()
    )
    stored = (
        Account.debits_posted,
        Account.credits_posted,
        Account.debits_pending,
        Account.credits_pending,
    )
    recomputed = tuple(func.coalesce(c, 0) for c in (sums.c.dp, sums.c.cp, sums.c.dq, sums.c.cq))
    rows = conn.execute(
        select(Account.id, Account.code, *stored, *recomputed, func.count().over())
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(or_(*(s != r for s, r in zip(stored, recomputed, strict=True))))
        .order_by(Account.code)
        .limit(MAX_MISMATCHES_REPORTED)
    ).all()
    accounts = conn.execute(select(func.count()).select_from(Account)).scalar_one()
    return TotalsReport(
        int(accounts),
        tuple(TotalsMismatch(r[0], r[1], _totals(r[2:6]), _totals(r[6:10])) for r in rows),
        int(rows[0][10]) if rows else 0,
    )


def _totals(values: object) -> Totals:
    a, b, c, d = (int(v) for v in values)  # type: ignore[attr-defined]
    return a, b, c, d
