"""group loans paid out: group_loans, group_payout_legs, groups.savings_minor, payout purpose

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 01:40:00

Written by hand.

- ``group_loans``: one per application paid out (unique), the group's own receivable
  (ledger 1230); amounts never negative, in flight + paid out within the principal, status
  known, ``activated_at`` set once no leg is paying.
- ``group_payout_legs``: one per (loan, member), the parts add up, status known, ended when
  settled or held; ``payout_id`` unique.
- ``groups.savings_minor`` (>= 0): the group's savings (ledger 2130).
- ``ck_payouts_purpose_known`` admits ``group_loan`` (SQLite rebuilds ``payouts``; no
  triggers live on it). Downgrading deletes group payouts first.
- The two new accounts (1230, 2130) are opened by ``mkopo migrate``, which opens the whole
  chart after upgrading, as 0018 says for 1011.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.sqltypes import UTCDateTime

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURPOSES_OLD = "purpose IN ('loan', 'topup', 'savings_withdrawal', 'refund')"
PURPOSES_NEW = "purpose IN ('loan', 'topup', 'savings_withdrawal', 'refund', 'group_loan')"


def _purposes(check: str) -> None:
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payouts_purpose_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_payouts_purpose_known"), check)


def upgrade() -> None:
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("savings_minor", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_groups_savings_non_negative"), "savings_minor >= 0"
        )
    _purposes(PURPOSES_NEW)
    op.create_table(
        "group_loans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("principal_pending_minor", sa.BigInteger(), nullable=False),
        sa.Column("principal_disbursed_minor", sa.BigInteger(), nullable=False),
        sa.Column("principal_outstanding_minor", sa.BigInteger(), nullable=False),
        sa.Column("savings_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("activated_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('disbursing', 'active', 'cancelled')",
            name=op.f("ck_group_loans_status_known"),
        ),
        sa.CheckConstraint(
            "principal_minor > 0 AND principal_pending_minor >= 0 "
            "AND principal_disbursed_minor >= 0 AND principal_outstanding_minor >= 0 "
            "AND savings_minor >= 0",
            name=op.f("ck_group_loans_amounts_non_negative"),
        ),
        sa.CheckConstraint(
            "principal_pending_minor + principal_disbursed_minor <= principal_minor",
            name=op.f("ck_group_loans_within_principal"),
        ),
        sa.CheckConstraint(
            "(status = 'disbursing') = (activated_at IS NULL)",
            name=op.f("ck_group_loans_activated_when_done"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_group_loans_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["group_applications.id"],
            name=op.f("fk_group_loans_application_id_group_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_loans")),
        sa.UniqueConstraint("application_id", name=op.f("uq_group_loans_application_id")),
    )
    op.create_index(op.f("ix_group_loans_group_id"), "group_loans", ["group_id"])
    op.create_table(
        "group_payout_legs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_loan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("borrower_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("cash_minor", sa.BigInteger(), nullable=False),
        sa.Column("savings_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("payout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('paying', 'settled', 'held')",
            name=op.f("ck_group_payout_legs_status_known"),
        ),
        sa.CheckConstraint(
            "cash_minor >= 0 AND savings_minor >= 0 "
            "AND principal_minor = cash_minor + savings_minor AND principal_minor > 0",
            name=op.f("ck_group_payout_legs_parts_add_up"),
        ),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_group_payout_legs_attempts_non_negative")
        ),
        sa.CheckConstraint(
            "(status = 'paying') = (ended_at IS NULL)",
            name=op.f("ck_group_payout_legs_ended_when_done"),
        ),
        sa.ForeignKeyConstraint(
            ["group_loan_id"],
            ["group_loans.id"],
            name=op.f("fk_group_payout_legs_group_loan_id_group_loans"),
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"],
            ["borrowers.id"],
            name=op.f("fk_group_payout_legs_borrower_id_borrowers"),
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_group_payout_legs_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_payout_legs")),
        sa.UniqueConstraint(
            "group_loan_id", "borrower_id", name="uq_group_payout_legs_one_per_member"
        ),
        sa.UniqueConstraint("payout_id", name=op.f("uq_group_payout_legs_payout_id")),
    )
    op.create_index(
        op.f("ix_group_payout_legs_group_loan_id"), "group_payout_legs", ["group_loan_id"]
    )
    op.create_index(op.f("ix_group_payout_legs_borrower_id"), "group_payout_legs", ["borrower_id"])


def downgrade() -> None:
    op.drop_table("group_payout_legs")
    op.drop_table("group_loans")
    op.execute("DELETE FROM payouts WHERE purpose = 'group_loan'")
    _purposes(PURPOSES_OLD)
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_groups_savings_non_negative"), type_="check")
        batch_op.drop_column("savings_minor")
