"""instalment penalty: each instalment carries the penalty charged on it and what was paid

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 22:00:00

Written by hand. ``loan_instalments`` gains ``penalty_minor`` (penalty charged on the
instalment's overdue principal and interest by the nightly run), ``paid_penalty_minor`` and
``penalty_carry_units`` (the fraction of a cent carried to the next day, as
``loans.carry_units``). CHECKed: never negative, paid never above charged, the carry below one
cent (10,000 x 365 units).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENALTY_WITHIN_DUE = (
    "penalty_minor >= 0 AND paid_penalty_minor >= 0 AND paid_penalty_minor <= penalty_minor "
    "AND penalty_carry_units >= 0 AND penalty_carry_units < 3650000"
)
COLUMNS = ("penalty_minor", "paid_penalty_minor", "penalty_carry_units")


def upgrade() -> None:
    with op.batch_alter_table("loan_instalments", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)
            )
        batch_op.create_check_constraint(
            op.f("ck_loan_instalments_penalty_within_due"), PENALTY_WITHIN_DUE
        )


def downgrade() -> None:
    with op.batch_alter_table("loan_instalments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_loan_instalments_penalty_within_due"), type_="check")
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
