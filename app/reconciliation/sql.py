"""Small SQL helpers shared by the set-based steps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Executable, text
from sqlalchemy.orm import Session

BULK_WORK_MEM = "64MB"
"""Per sort or hash of one step, in the PostgreSQL backend (not in this process): a
snapshot of a million receipts groups in memory instead of spilling to disk."""
ANALYZE_AFTER_ROWS = 10_000
"""A bulk step that wrote more rows than this refreshes the table's planner statistics."""


def changed(session: Session, statement: Executable) -> int:
    """Rows an INSERT ... SELECT or UPDATE wrote (SQLAlchemy keeps an INSERT's row count only
    when asked to: ``preserve_rowcount``)."""
    result = session.connection().execute(statement.execution_options(preserve_rowcount=True))
    assert isinstance(result, CursorResult)
    count: Any = result.rowcount
    return int(count)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def tune_for_bulk(session: Session) -> None:
    """For this transaction on PostgreSQL: no JIT (compiling the steps' wide CASE
    expressions took longer than running them), and room to sort and hash in memory."""
    if is_postgres(session):
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text(f"SET LOCAL work_mem = '{BULK_WORK_MEM}'"))


def analyze_if_grown(session: Session, table: str, rows: int) -> None:
    """Fresh planner statistics after a bulk insert (PostgreSQL samples, it does not scan),
    so the next step's joins are planned for the rows that are there."""
    if rows > ANALYZE_AFTER_ROWS and is_postgres(session):
        session.execute(text(f"ANALYZE {table}"))
