"""group loans paid out and repaid: group loans, payout legs, instalments, contributions

Revision ID: 0032
Revises: 0031
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
- ``group_loan_instalments`` (the schedule the group owes: paid within owed, interest paid
  within recognised, a paid row owes nothing; one per (loan, number)) and
  ``group_contributions`` (the contribution ledger: one per idempotency key, parts add up).
- ``group_loans.account_number`` (``MG...``, unique), ``interest_outstanding_minor``,
  ``closed_at``, ``defaulted_on``, the penalty columns and ``days_accrued`` (the nightly run); status
  ``repaid`` and ``defaulted``.
- ``group_applications.status`` admits ``loan_closed`` (its loan repaid or cancelled: the
  group may apply again); SQLite rebuilds the table, so its partial unique index (one open
  application per group) is taken down first and put back after.
- ``group_loans.arrears_since`` and ``borrowers.group_arrears_since`` (the arrears freeze).
- The four new accounts (1230, 1240, 1250, 2130) are opened by ``mkopo migrate``, which opens the whole
  chart after upgrading, as 0018 says for 1011.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.sqltypes import UTCDateTime

from app.lending import ddl as compliance_ddl

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
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
        sa.Column("interest_outstanding_minor", sa.BigInteger(), nullable=False),
        sa.Column("penalty_outstanding_minor", sa.BigInteger(), nullable=False),
        sa.Column("penalty_accrued_minor", sa.BigInteger(), nullable=False),
        sa.Column("days_accrued", sa.Integer(), nullable=False),
        sa.Column("arrears_since", sa.Date(), nullable=True),
        sa.Column("defaulted_on", sa.Date(), nullable=True),
        sa.Column("account_number", sa.String(length=12), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("activated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "interest_outstanding_minor >= 0 AND penalty_outstanding_minor >= 0 "
            "AND penalty_accrued_minor >= penalty_outstanding_minor AND days_accrued >= 0",
            name=op.f("ck_group_loans_charges_non_negative"),
        ),
        sa.CheckConstraint(
            "(status IN ('repaid', 'cancelled')) = (closed_at IS NOT NULL)",
            name=op.f("ck_group_loans_closed_when_ended"),
        ),
        sa.CheckConstraint(
            "status <> 'defaulted' OR defaulted_on IS NOT NULL",
            name=op.f("ck_group_loans_defaulted_has_date"),
        ),
        sa.CheckConstraint(
            "status IN ('disbursing', 'active', 'cancelled', 'repaid', 'defaulted')",
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
        sa.UniqueConstraint("account_number", name=op.f("uq_group_loans_account_number")),
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


    op.create_table(
        "group_loan_instalments",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("group_loan_id", BIGINT_ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("interest_minor", sa.BigInteger(), nullable=False),
        sa.Column("interest_recognised_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_interest_minor", sa.BigInteger(), nullable=False),
        sa.Column("penalty_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_penalty_minor", sa.BigInteger(), nullable=False),
        sa.Column("penalty_carry_units", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'paid')", name=op.f("ck_group_loan_instalments_status_known")
        ),
        sa.CheckConstraint(
            "principal_minor >= 0 AND interest_minor >= 0 AND paid_principal_minor >= 0 "
            "AND paid_principal_minor <= principal_minor "
            "AND interest_recognised_minor BETWEEN 0 AND interest_minor "
            "AND paid_interest_minor BETWEEN 0 AND interest_recognised_minor "
            "AND paid_penalty_minor BETWEEN 0 AND penalty_minor AND penalty_carry_units >= 0",
            name=op.f("ck_group_loan_instalments_paid_within_owed"),
        ),
        sa.CheckConstraint(
            "status <> 'paid' OR (paid_principal_minor = principal_minor "
            "AND paid_interest_minor = interest_minor AND paid_penalty_minor = penalty_minor)",
            name=op.f("ck_group_loan_instalments_paid_means_paid"),
        ),
        sa.ForeignKeyConstraint(
            ["group_loan_id"],
            ["group_loans.id"],
            name=op.f("fk_group_loan_instalments_group_loan_id_group_loans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_loan_instalments")),
        sa.UniqueConstraint(
            "group_loan_id", "number", name="uq_group_loan_instalments_number"
        ),
    )
    op.create_index(
        op.f("ix_group_loan_instalments_group_loan_id"),
        "group_loan_instalments",
        ["group_loan_id"],
    )
    op.create_table(
        "group_contributions",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("group_loan_id", BIGINT_ID, nullable=False),
        sa.Column("borrower_id", BIGINT_ID, nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("interest_minor", sa.BigInteger(), nullable=False),
        sa.Column("penalty_minor", sa.BigInteger(), nullable=False),
        sa.Column("overpayment_minor", sa.BigInteger(), nullable=False),
        sa.Column("receipt", sa.String(length=32), nullable=True),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_minor > 0 AND principal_minor >= 0 AND interest_minor >= 0 "
            "AND penalty_minor >= 0 AND overpayment_minor >= 0 AND amount_minor = "
            "principal_minor + interest_minor + penalty_minor + overpayment_minor",
            name=op.f("ck_group_contributions_parts_add_up"),
        ),
        sa.ForeignKeyConstraint(
            ["group_loan_id"],
            ["group_loans.id"],
            name=op.f("fk_group_contributions_group_loan_id_group_loans"),
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"],
            ["borrowers.id"],
            name=op.f("fk_group_contributions_borrower_id_borrowers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_contributions")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_group_contributions_idempotency_key")
        ),
    )
    for column in ("group_loan_id", "borrower_id"):
        op.create_index(
            op.f(f"ix_group_contributions_{column}"), "group_contributions", [column]
        )


    _application_statuses(APPLICATION_STATUSES_NEW)
    # A plain ADD COLUMN on both databases (nothing to rebuild: borrowers keeps its guards).
    op.add_column("borrowers", sa.Column("group_arrears_since", sa.Date(), nullable=True))


OPEN = "status IN ('pending_approval', 'pending_payout_approval', 'ready_for_payout')"
APPLICATION_STATUSES_OLD = (
    "status IN ('pending_approval', 'pending_payout_approval', 'ready_for_payout', "
    "'rejected', 'lapsed', 'withdrawn', 'failed')"
)
APPLICATION_STATUSES_NEW = APPLICATION_STATUSES_OLD[:-1] + ", 'loan_closed')"


def _application_statuses(check: str) -> None:
    """SQLite rebuilds the table, which would drop the partial unique index: taken down
    first and put back after, as 0028 does for the approvals."""
    op.drop_index("uq_group_applications_one_open", table_name="group_applications")
    with op.batch_alter_table("group_applications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_group_applications_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_group_applications_status_known"), check)
    op.create_index(
        "uq_group_applications_one_open",
        "group_applications",
        ["group_id"],
        unique=True,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    # SQLite rebuilds borrowers to drop a column, which drops its guards: down and up again.
    dialect = op.get_bind().dialect.name
    for statement in compliance_ddl.uninstall_statements(dialect):
        op.execute(statement)
    with op.batch_alter_table("borrowers", schema=None) as batch_op:
        batch_op.drop_column("group_arrears_since")
    for statement in compliance_ddl.install_statements(dialect):
        op.execute(statement)
    # Several closed loans of one group could not all be open again: marked withdrawn (the
    # group loans' own tables are dropped below).
    op.execute("UPDATE group_applications SET status = 'withdrawn' WHERE status = 'loan_closed'")
    _application_statuses(APPLICATION_STATUSES_OLD)
    op.drop_table("group_contributions")
    op.drop_table("group_loan_instalments")
    op.drop_table("group_payout_legs")
    op.drop_table("group_loans")
    op.execute("DELETE FROM payouts WHERE purpose = 'group_loan'")
    _purposes(PURPOSES_OLD)
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_groups_savings_non_negative"), type_="check")
        batch_op.drop_column("savings_minor")
