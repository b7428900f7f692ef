"""Matching statement lines against the run's ledger snapshot, set-based.

``match_chunk`` decides every line of a chunk in one ``INSERT ... SELECT`` joined on the
receipt: no movement (not Completed), matched (the ledger's net equals the line within the
tolerance; ``suspense`` when the money waits in suspense), missing in ledger (or ``charge`` /
``settlement`` for those lines), duplicate (the ledger moved it twice), amount mismatch.
The rules that need more than a join run after all chunks, over the few lines left
(``app.reconciliation.matching.after_receipts``); ``ledger_only`` adds what the ledger has and the
statement does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, literal, not_, null, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.reconciliation.matching import rules as r
from app.reconciliation.matching.rules import MatchRules
from app.reconciliation.models import LedgerItem, LineConflict, Result, StatementLine
from app.reconciliation.sql import changed

RESULT_COLUMNS = [
    "run_id",
    "line_id",
    "item_id",
    "receipt",
    "role",
    "outcome",
    "rule",
    "statement_minor",
    "ledger_minor",
    "difference_minor",
]


def line_keys_sql(receipt: ColumnElement[Any], role: ColumnElement[Any]) -> list[Any]:
    """SQL for ``statement_format.line_keys``: the two keys of a receipt's line."""
    stem = receipt + "/" + func.substr(role, 1, 1) + "/"
    return [stem + "+", stem + "-"]


def in_scope(since: datetime, until: datetime, network: str) -> list[object]:
    """A run's lines: its provider's, completed in [since, until)."""
    return [
        StatementLine.network == network,
        StatementLine.completed_at >= since,
        StatementLine.completed_at < until,
    ]


def count_lines(session: Session, since: datetime, until: datetime, network: str) -> int:
    found = session.scalar(select(func.count()).where(*in_scope(since, until, network)))  # type: ignore[arg-type]
    return int(found or 0)


def next_chunk_end(
    session: Session, after_id: int, since: datetime, until: datetime, size: int, network: str
) -> int | None:
    """The id of the last line of the next chunk (None when no line is left)."""
    ids = (
        select(StatementLine.id)
        .where(StatementLine.id > after_id, *in_scope(since, until, network))  # type: ignore[arg-type]
        .order_by(StatementLine.id)
        .limit(size)
        .subquery()
    )
    found = session.scalar(select(func.max(ids.c.id)))
    return None if found is None else int(found)


@dataclass(frozen=True, slots=True)
class LineChunk:
    """The statement lines with ids in (``after_id``, ``last_id``]: one matching step."""

    after_id: int
    last_id: int


def match_chunk(
    session: Session,
    run_id: int,
    chunk: LineChunk,
    period: tuple[datetime, datetime],
    rules: MatchRules,
    network: str,
) -> int:
    """Results for ``network``'s lines in scope in ``chunk``; returns how many (the snapshot
    holds only that provider's float, so a line never meets the other provider's money)."""
    since, until = period
    line, item = StatementLine.__table__, LedgerItem.__table__
    missing = case(
        (line.c.category == "charge", r.CHARGE),
        (line.c.category == "settlement", r.SETTLEMENT),
        else_=r.MISSING_IN_LEDGER,
    )
    moved_same_way = case((line.c.amount_minor > 0, item.c.in_count), else_=item.c.out_count)
    outcome = case(
        (not_(line.c.moves_money), r.NO_MOVEMENT),
        (item.c.id.is_(None), missing),
        (
            func.abs(item.c.net_minor - line.c.amount_minor) <= rules.amount_tolerance_minor,
            case((item.c.suspense_open, r.SUSPENSE), else_=r.MATCHED),
        ),
        (item.c.net_minor == 0, missing),
        (moved_same_way > 1, r.DUPLICATE),
        else_=r.AMOUNT_MISMATCH,
    )
    difference = case(
        (not_(line.c.moves_money), 0),
        else_=line.c.amount_minor - func.coalesce(item.c.net_minor, 0),
    )
    decided = (
        select(
            literal(run_id),
            line.c.id,
            item.c.id,
            line.c.receipt,
            line.c.role,
            outcome,
            literal("receipt"),
            line.c.amount_minor,
            item.c.net_minor,
            difference,
        )
        .select_from(
            line.outerjoin(
                item,
                and_(
                    item.c.run_id == run_id,
                    item.c.receipt == line.c.receipt,
                    item.c.role == line.c.role,
                ),
            )
        )
        .where(
            line.c.id > chunk.after_id,
            line.c.id <= chunk.last_id,
            line.c.network == network,
            line.c.completed_at >= since,
            line.c.completed_at < until,
        )
    )
    return changed(session, insert(Result).from_select(RESULT_COLUMNS, decided))


def ledger_only(
    session: Session,
    run_id: int,
    since: datetime,
    until: datetime,
    network: str,
    payouts: bool | None = None,
) -> int:
    """Results for receipts the ledger moved in the period and no stored line of the
    provider has (a completed line with the receipt and role, from any of its statements).
    ``payouts``: only payouts (True: an Airtel disbursement account's statement), all but
    payouts (False: a collection account's), or every receipt (None)."""
    item, line = LedgerItem.__table__, StatementLine.__table__
    on_statement = (
        select(literal(1))
        .where(
            line.c.network == network,
            line.c.line_key.in_(line_keys_sql(item.c.receipt, item.c.role)),
            line.c.moves_money,
        )
        .exists()
    )
    found = select(
        literal(run_id),
        null(),
        item.c.id,
        item.c.receipt,
        item.c.role,
        literal(r.MISSING_AT_PROVIDER),
        literal("ledger_only"),
        null(),
        item.c.net_minor,
        -item.c.net_minor,
    ).where(
        item.c.run_id == run_id,
        item.c.net_minor != 0,
        item.c.first_at >= since,
        item.c.first_at < until,
        not_(on_statement),
    )
    if payouts is not None:
        payout = item.c.source == "payout"
        found = found.where(payout if payouts else not_(payout))
    return changed(session, insert(Result).from_select(RESULT_COLUMNS, found))


def conflicting_lines(
    session: Session, run_id: int, since: datetime, until: datetime, network: str
) -> int:
    """A duplicate result for each file line that repeated a stored receipt with other
    content, where the stored line is in the period."""
    conflict, line = LineConflict.__table__, StatementLine.__table__
    found = (
        select(
            literal(run_id),
            null(),
            null(),
            line.c.receipt,
            line.c.role,
            literal(r.DUPLICATE),
            literal("statement_conflict"),
            conflict.c.amount_minor,
            null(),
            literal(0),
        )
        .select_from(conflict.join(line, line.c.id == conflict.c.line_id))
        .where(line.c.network == network, line.c.completed_at >= since, line.c.completed_at < until)
    )
    return changed(session, insert(Result).from_select(RESULT_COLUMNS, found))
