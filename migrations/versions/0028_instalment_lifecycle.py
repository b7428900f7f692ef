"""instalment lifecycle: instalment status, period start and interest; restructured loans

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08 00:30:00

Written by hand.

- ``loan_instalments.status`` (open | paid | written_off | superseded), CHECKed known, and a
  paid instalment owes nothing (paid = principal, interest, penalty). Existing rows: paid
  when fully paid, written off on a written-off loan, paid on a repaid loan (what such a
  loan's later instalments were not charged was never recognised), else open.
- ``loan_instalments.period_start`` (when its interest period starts) and
  ``period_interest_minor`` (what its own period accrues: the settlement quote's basis):
  filled from the previous instalment's due date (or the loan's disbursement) and the
  scheduled interest (rows of a product with a grace on interest, where these differ, did
  not exist before this change).
- ``loans.restructured_at`` / ``restructure_count``: set by a restructure (reschedule), so
  reports and the CRB export can tell; CHECKed consistent.
- The guard of ``app/lending/instalment_ddl.py``: no open instalment on a written-off loan.
  SQLite rebuilds ``loans`` to add its CHECK, which drops the triggers on it: the guards of
  ``app/lending/ddl.py`` (0024) are taken down first and put back after.
- ``ck_approval_requests_kind_known`` admits ``loan_restructure``
  (``app.lending.restructure_requests``); SQLite rebuilds the table, so the approvals'
  triggers and partial index are taken down first and put back after, as 0020 does.
  Downgrading deletes the restructure requests and their decisions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.sqltypes import UTCDateTime

from app.approvals.kind_migrations import allow_kinds, forget_kind
from app.lending import ddl as compliance_ddl
from app.lending import instalment_ddl

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_KNOWN = "status IN ('open', 'paid', 'written_off', 'superseded')"
PAID_MEANS_PAID = (
    "status <> 'paid' OR (paid_principal_minor = principal_minor "
    "AND paid_interest_minor = interest_minor AND paid_penalty_minor = penalty_minor)"
)
RESTRUCTURES = (
    "restructure_count >= 0 AND (restructure_count = 0) = (restructured_at IS NULL)"
)
_FULLY_PAID = (
    "paid_principal_minor = principal_minor AND paid_interest_minor = interest_minor "
    "AND paid_penalty_minor = penalty_minor"
)
_LOAN_STATUS = "(SELECT status FROM loans WHERE loans.id = loan_instalments.loan_id)"
_PREVIOUS_DUE = (
    "(SELECT MAX(p.due_on) FROM loan_instalments p "
    "WHERE p.loan_id = loan_instalments.loan_id AND p.number < loan_instalments.number)"
)
_DISBURSED = "(SELECT disbursed_on FROM loans WHERE loans.id = loan_instalments.loan_id)"
KINDS = (
    "product_change",
    "limit_override",
    "write_off",
    "manual_journal",
    "scorecard_activation",
    "recon_resolution",
    "collection_reversal",
    "float_transfer",
    "crb_dispute",
    "group_application",
    "group_payout",
    "group_officials",
)
NEW_KIND = "loan_restructure"


def upgrade() -> None:
    with op.batch_alter_table("loan_instalments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="open", nullable=False)
        )
        batch_op.add_column(sa.Column("period_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("period_interest_minor", sa.BigInteger(), nullable=True))
    op.execute(
        f"UPDATE loan_instalments SET period_start = COALESCE({_PREVIOUS_DUE}, {_DISBURSED}), "
        "period_interest_minor = interest_minor"
    )
    op.execute(
        f"UPDATE loan_instalments SET status = 'written_off' WHERE {_LOAN_STATUS} = 'written_off'"
    )
    op.execute(
        "UPDATE loan_instalments SET interest_minor = interest_recognised_minor, "
        "total_minor = principal_minor + interest_recognised_minor "
        f"WHERE {_LOAN_STATUS} = 'repaid'"
    )
    op.execute(f"UPDATE loan_instalments SET status = 'paid' WHERE status = 'open' AND {_FULLY_PAID}")
    with op.batch_alter_table("loan_instalments", schema=None) as batch_op:
        batch_op.alter_column("period_start", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column(
            "period_interest_minor", existing_type=sa.BigInteger(), nullable=False
        )
        batch_op.create_check_constraint(op.f("ck_loan_instalments_status_known"), STATUS_KNOWN)
        batch_op.create_check_constraint(
            op.f("ck_loan_instalments_paid_means_paid"), PAID_MEANS_PAID
        )
    dialect = op.get_bind().dialect.name
    for statement in compliance_ddl.uninstall_0024(dialect):
        op.execute(statement)
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restructured_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("restructure_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(op.f("ck_loans_restructures"), RESTRUCTURES)
    for statement in compliance_ddl.install_0024(dialect):
        op.execute(statement)
    for statement in instalment_ddl.install_statements(dialect):
        op.execute(statement)
    allow_kinds(op, (*KINDS, NEW_KIND))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    forget_kind(op, NEW_KIND)
    allow_kinds(op, KINDS)
    for statement in instalment_ddl.uninstall_statements(dialect):
        op.execute(statement)
    for statement in compliance_ddl.uninstall_0024(dialect):
        op.execute(statement)
    op.execute("DELETE FROM loan_instalments WHERE status = 'superseded'")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_loans_restructures"), type_="check")
        batch_op.drop_column("restructure_count")
        batch_op.drop_column("restructured_at")
    for statement in compliance_ddl.install_0024(dialect):
        op.execute(statement)
    with op.batch_alter_table("loan_instalments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_loan_instalments_paid_means_paid"), type_="check")
        batch_op.drop_constraint(op.f("ck_loan_instalments_status_known"), type_="check")
        batch_op.drop_column("period_interest_minor")
        batch_op.drop_column("period_start")
        batch_op.drop_column("status")
