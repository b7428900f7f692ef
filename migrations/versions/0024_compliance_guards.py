"""the database refuses minors, impossible birth dates, loans before opt-in and over the limit

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 01:00:00

Written by hand. ``borrowers.adult_on`` (the day the borrower turns 18, from the register's
date of birth; NULL on older rows until ``mkopo borrowers backfill-adult-on``) and the
triggers of ``app/lending/ddl.py``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.lending import ddl as lending_ddl

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("borrowers", sa.Column("adult_on", sa.Date(), nullable=True))
    for statement in lending_ddl.install_0024(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in lending_ddl.uninstall_0024(dialect):
        op.execute(statement)
    with op.batch_alter_table("borrowers", schema=None) as batch_op:
        batch_op.drop_column("adult_on")
