"""Changing the kinds ``approval_requests`` admits, from a migration (0020, 0024).

Only ``ck_approval_requests_kind_known`` changes. SQLite rebuilds the table to change a
CHECK constraint (batch mode), which drops its triggers and its partial index: both are
taken down first and put back after. ``op`` is Alembic's operations object of the running
migration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from app.approvals import ddl

PENDING = sa.text("status = 'pending'")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def set_known_kinds(op: Any, kinds: Sequence[str]) -> None:
    """Make ``kinds`` exactly the kinds the table's CHECK admits."""
    dialect = op.get_bind().dialect.name
    for statement in ddl.uninstall_statements(dialect):
        op.execute(statement)
    op.drop_index("uq_approval_requests_one_pending", table_name="approval_requests")
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_approval_requests_kind_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_kind_known"), _one_of("kind", kinds)
        )
    op.create_index(
        "uq_approval_requests_one_pending",
        "approval_requests",
        ["kind", "subject_type", "subject_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    for statement in ddl.install_statements(dialect):
        op.execute(statement)


def drop_requests_of(op: Any, kind: str) -> None:
    """Delete a kind's requests and their decisions (a downgrade), guards off meanwhile."""
    dialect = op.get_bind().dialect.name
    for statement in ddl.uninstall_statements(dialect):
        op.execute(statement)
    ids = f"SELECT id FROM approval_requests WHERE kind = '{kind}'"
    op.execute(f"DELETE FROM approval_decisions WHERE request_id IN ({ids})")
    op.execute(f"DELETE FROM approval_requests WHERE kind = '{kind}'")
    for statement in ddl.install_statements(dialect):
        op.execute(statement)
