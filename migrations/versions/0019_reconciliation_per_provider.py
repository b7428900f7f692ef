"""reconciliation per provider: statements, their lines and runs carry the network

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 21:30:00

Written by hand. ``recon_statements.network``, ``recon_statement_lines.network`` and
``recon_runs.network`` (``safaricom`` | ``airtel``, CHECKed; every row before is
``safaricom``: only M-Pesa statements were imported). A line is unique per network and
``line_key`` (was: ``line_key``), so an Airtel id that happens to equal an M-Pesa receipt is
another line, never a repeat of it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("recon_statements", "recon_statement_lines", "recon_runs")
KNOWN = "network IN ('safaricom', 'airtel')"


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "network", sa.String(length=12), server_default="safaricom", nullable=False
                )
            )
            batch_op.create_check_constraint(op.f(f"ck_{table}_network_known"), KNOWN)
    with op.batch_alter_table("recon_statement_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_recon_statement_lines_line_key"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_recon_statement_lines_network"), ["network", "line_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("recon_statement_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_recon_statement_lines_network"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_recon_statement_lines_line_key"), ["line_key"]
        )
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_network_known"), type_="check")
            batch_op.drop_column("network")
