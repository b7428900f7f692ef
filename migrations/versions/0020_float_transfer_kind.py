"""float transfers: the four-eyes kind ``float_transfer`` (money moved between the floats)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 21:40:00

Written by hand. Only ``ck_approval_requests_kind_known`` changes: it admits
``float_transfer`` (``app.accounting.float_transfers``).

SQLite rebuilds the table to change a CHECK constraint (batch mode), which drops its
triggers and its partial index: both are taken down first and put back after, as 0017 does.
Downgrading deletes the float transfer requests and their decisions (the entries they
posted stay in the ledger, which never forgets).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.approvals import ddl as approvals_ddl

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "product_change",
    "limit_override",
    "write_off",
    "manual_journal",
    "scorecard_activation",
    "recon_resolution",
    "collection_reversal",
)
NEW_KIND = "float_transfer"
PENDING = sa.text("status = 'pending'")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _kinds(kinds: Sequence[str]) -> None:
    dialect = op.get_bind().dialect.name
    for statement in approvals_ddl.uninstall_statements(dialect):
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
    for statement in approvals_ddl.install_statements(dialect):
        op.execute(statement)


def upgrade() -> None:
    _kinds(KINDS + (NEW_KIND,))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in approvals_ddl.uninstall_statements(dialect):
        op.execute(statement)
    ids = f"SELECT id FROM approval_requests WHERE kind = '{NEW_KIND}'"
    op.execute(f"DELETE FROM approval_decisions WHERE request_id IN ({ids})")
    op.execute(f"DELETE FROM approval_requests WHERE kind = '{NEW_KIND}'")
    for statement in approvals_ddl.install_statements(dialect):
        op.execute(statement)
    _kinds(KINDS)
