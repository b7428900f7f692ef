"""loans.written_off_minor: what was owed when a loan was written off (the bureau files
report it)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 01:40:00

Written by hand. A plain ``ADD COLUMN`` (no table rebuild on SQLite, so the guards on
``loans`` stay). Loans written off before it get the amount from their write-off entry in the
ledger (``write-off:<loan id>``: the sum of its debits), or 0 if none was posted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("loans", sa.Column("written_off_minor", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE loans SET written_off_minor = COALESCE(("
        "SELECT SUM(p.amount_minor) FROM ledger_postings p "
        "JOIN ledger_entries e ON e.id = p.entry_id "
        "WHERE e.idempotency_key = 'write-off:' || loans.id AND p.side = 'D'), 0) "
        "WHERE status = 'written_off'"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_column("loans", "written_off_minor")
    else:  # SQLite 3.35+ drops a plain column in place: no rebuild, the guards stay
        op.execute("ALTER TABLE loans DROP COLUMN written_off_minor")
