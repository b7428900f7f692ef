"""ledger_write(jsonb): the one-round-trip PostgreSQL write path (no-op on SQLite)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 13:10:00
"""

from collections.abc import Sequence

from alembic import op

from ledger import ddl_write_function

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ddl_write_function.CREATE_0003)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ddl_write_function.DROP)
