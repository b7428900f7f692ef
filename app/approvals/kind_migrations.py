"""What a migration does to admit a new kind of four-eyes request, or to forget one.

``approval_requests.kind`` is CHECKed against the known kinds. SQLite rebuilds the table to
change a CHECK (batch mode), which drops its triggers and its partial index: both are taken
down first and put back after. Forgetting a kind deletes its requests and their decisions
(what they applied stays where it is: the ledger never forgets).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import sqlalchemy as sa

from app.approvals import ddl

PENDING = sa.text("status = 'pending'")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def allow_kinds(op: ModuleType, kinds: Sequence[str]) -> None:
    """Make ``kinds`` exactly the kinds ``approval_requests`` admits (``op``: alembic's)."""
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


def forget_kind(op: ModuleType, kind: str) -> None:
    """Delete the requests of ``kind`` and their decisions (before ``allow_kinds`` drops it)."""
    dialect = op.get_bind().dialect.name
    for statement in ddl.uninstall_statements(dialect):
        op.execute(statement)
    ids = f"SELECT id FROM approval_requests WHERE kind = '{kind}'"
    op.execute(f"DELETE FROM approval_decisions WHERE request_id IN ({ids})")
    op.execute(f"DELETE FROM approval_requests WHERE kind = '{kind}'")
    for statement in ddl.install_statements(dialect):
        op.execute(statement)
