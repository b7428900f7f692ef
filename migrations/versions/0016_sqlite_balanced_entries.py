"""sqlite balanced entries: every journal entry is proven balanced before it can commit

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 10:00:00

Written by hand: the guard of ``ledger/balanced_entry_guard.py`` on SQLite (two small
tables, outside the ORM's metadata, and their triggers), proving every entry already in the
books on the way. PostgreSQL is unchanged: its deferred triggers (migration 0001) check.
"""

from collections.abc import Sequence

from alembic import op

from ledger import balanced_entry_guard

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in balanced_entry_guard.install_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in balanced_entry_guard.uninstall_statements(op.get_bind().dialect.name):
        op.execute(statement)
