"""payment networks: the borrower's network, and the provider each payout and push went through

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-10 09:00:00

Written by hand. ``borrowers.network``, ``payouts.network`` and ``stk_requests.network``
(``safaricom`` | ``airtel``, CHECKed). Every row before this migration is ``safaricom``: the
fund paid and collected only through M-Pesa until now. Another branch adds 0017; the merge
re-chains this one after it. The Airtel float (1011) is opened by ``mkopo migrate``, which
opens the whole chart after upgrading (``open_chart``), as it opens 1010.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("borrowers", "payouts", "stk_requests")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "network", sa.String(length=12), server_default="safaricom", nullable=False
                )
            )
            batch_op.create_check_constraint(
                op.f(f"ck_{table}_network_known"), "network IN ('safaricom', 'airtel')"
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_network_known"), type_="check")
            batch_op.drop_column("network")
