"""instalment loans: products carry schedule terms; loans carry their instalments

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 22:00:00

Written by hand. ``products`` gains ``kind`` (``bullet`` | ``instalment``; every existing
product is ``bullet``) and the schedule terms of instalment products (method, frequency,
number of instalments, rounding, day count, grace on principal and interest, the default
rule in days past due), CHECKed present if and only if the product is instalment-kind.
``loan_instalments`` holds each instalment loan's schedule and what was paid of it: amounts
never negative, paid never above due, one row per (loan, number).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEDULE_IFF_INSTALMENT = (
    "(kind = 'bullet' AND schedule_method IS NULL AND schedule_frequency IS NULL "
    "AND instalment_count IS NULL AND schedule_rounding IS NULL "
    "AND schedule_day_count IS NULL AND default_after_dpd IS NULL "
    "AND grace_principal = 0 AND grace_interest = 0) "
    "OR (kind = 'instalment' AND schedule_method IS NOT NULL "
            "AND schedule_frequency IS NOT NULL AND instalment_count IS NOT NULL "
            "AND schedule_rounding IS NOT NULL AND schedule_day_count IS NOT NULL "
            "AND default_after_dpd IS NOT NULL "
            "AND schedule_method IN ('emi', 'declining', 'flat') "
    "AND schedule_frequency IN ('weekly', 'fortnightly', 'monthly') "
    "AND schedule_rounding IN ('cents', 'shillings') "
    "AND schedule_day_count IN ('act365', '30/360') "
    "AND instalment_count > 0 AND instalment_count <= 360 "
    "AND default_after_dpd > 0 AND grace_interest >= 0 "
    "AND grace_interest <= grace_principal AND grace_principal < instalment_count)"
)
SCHEDULE_COLUMNS = (
    "schedule_method",
    "schedule_frequency",
    "schedule_rounding",
    "schedule_day_count",
)


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=12), server_default="bullet", nullable=False)
        )
        for name in SCHEDULE_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("instalment_count", sa.Integer(), nullable=True))
        for name in ("grace_principal", "grace_interest"):
            batch_op.add_column(
                sa.Column(name, sa.Integer(), server_default="0", nullable=False)
            )
        batch_op.add_column(sa.Column("default_after_dpd", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_products_kind_known"), "kind IN ('bullet', 'instalment')"
        )
        batch_op.create_check_constraint(
            op.f("ck_products_schedule_iff_instalment"), SCHEDULE_IFF_INSTALMENT
        )
    op.create_table(
        "loan_instalments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "loan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("interest_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("interest_recognised_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_interest_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_loan_instalments_number_positive")),
        sa.CheckConstraint(
            "principal_minor >= 0 AND interest_minor >= 0 "
            "AND total_minor = principal_minor + interest_minor",
            name=op.f("ck_loan_instalments_amounts_add_up"),
        ),
        sa.CheckConstraint(
            "paid_principal_minor >= 0 AND paid_principal_minor <= principal_minor "
            "AND paid_interest_minor >= 0 AND paid_interest_minor <= interest_recognised_minor "
            "AND interest_recognised_minor >= 0 AND interest_recognised_minor <= interest_minor",
            name=op.f("ck_loan_instalments_paid_within_due"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_instalments_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_instalments")),
        sa.UniqueConstraint("loan_id", "number", name="uq_loan_instalments_loan_number"),
    )
    op.create_index(
        op.f("ix_loan_instalments_loan_id"), "loan_instalments", ["loan_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_loan_instalments_loan_id"), table_name="loan_instalments")
    op.drop_table("loan_instalments")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_products_schedule_iff_instalment"), type_="check")
        batch_op.drop_constraint(op.f("ck_products_kind_known"), type_="check")
        for name in ("default_after_dpd", "grace_interest", "grace_principal"):
            batch_op.drop_column(name)
        batch_op.drop_column("instalment_count")
        for name in reversed(SCHEDULE_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column("kind")
