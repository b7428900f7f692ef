"""segregation of duties in reconciliation; the accounts' totals move only through the write path

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 14:00:00

Written by hand:
- ``recon_resolutions.decided_role`` and the triggers of ``app/reconciliation/ddl.py``: a
  resolution is proposed and approved by operations roles, and what was proposed never changes;
- the guard of ``ledger/balance_guard.py`` on ``ledger_accounts``' totals, and on PostgreSQL
  ``ledger_write`` in the version that leaves moving the totals to the guard's triggers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.reconciliation import ddl as recon_ddl
from ledger import balance_guard, ddl_write_function

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("recon_resolutions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_role", sa.String(length=16), nullable=True))
    for statement in recon_ddl.install_statements(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        op.execute(ddl_write_function.CREATE)
    for statement in balance_guard.install_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in balance_guard.uninstall_statements(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        op.execute(ddl_write_function.CREATE_0003)
    for statement in recon_ddl.uninstall_statements(dialect):
        op.execute(statement)
    with op.batch_alter_table("recon_resolutions", schema=None) as batch_op:
        batch_op.drop_column("decided_role")
