"""Writing to the books past the database's guards, as only a superuser (PostgreSQL: triggers
off for the transaction) or whoever holds the file (SQLite: the guard's triggers dropped, and
put back) can. Tests use it to show that ``verify`` catches what the guards cannot stop."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from app.db.engine import Database
from ledger import balance_guard


@contextmanager
def guard_off(conn: Connection) -> Iterator[None]:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        yield
        conn.exec_driver_sql("SET LOCAL session_replication_role = origin")
        return
    for statement in balance_guard.uninstall_statements("sqlite"):
        conn.exec_driver_sql(statement)
    yield
    for statement in balance_guard.install_statements("sqlite"):
        conn.exec_driver_sql(statement)


def tamper(database: Database, *statements: str) -> None:
    """Run ``statements`` in one committed transaction with the totals guard off."""
    with database.write_engine.begin() as conn, guard_off(conn):
        for statement in statements:
            conn.execute(text(statement))
