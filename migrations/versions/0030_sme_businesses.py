"""SME loans, first part: businesses, their limit decisions, the SME product and its rules

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08 01:40:00

Written by hand.

- ``products.audience`` admits ``business``: the SME product is only lent to a registered
  business (``app.sme``), never offered on USSD or the app's personal borrow.
- ``businesses``: a registered business (its number checked against the business register,
  its KRA PIN's format, its till), one per owner; ``business_limit_decisions``: every limit
  decision with why.
- ``business_product_rules``: the SME product's term range, four-eyes threshold and
  cash-flow multiple, as data.
- ``loans.business_id`` (an SME loan's business; its borrower is the owner): one open
  personal loan per borrower (the partial unique index now excludes SME loans) and one open
  SME loan per business (a new one). The compliance guards of ``app/lending/ddl.py`` get
  their second version (a business's loan is held to the business's limit); SQLite
  rebuilds ``loans``, so those and ``instalment_ddl``'s guards are taken down and put back.
- ``sme_applications`` (one open application per business), and the four-eyes kind
  ``sme_loan_approval`` (every existing kind kept). Downgrade only a database
  without SME loans (they would become personal loans).
- The SME product, seeded active (its audience keeps it from individuals): KES 100,000 -
  5,000,000, 18% a year, EMI monthly (12 instalments by default; an application asks 3 - 12),
  2% savings, all long-term.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from ledger.sqltypes import JSONDoc, UTCDateTime

from app.approvals.kind_migrations import allow_kinds, forget_kind
from app.lending import ddl as compliance_ddl
from app.lending import instalment_ddl

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OPEN = "status IN ('disbursing', 'active', 'defaulted')"
OPEN_PERSONAL = f"{_OPEN} AND business_id IS NULL"
OPEN_OF_BUSINESS = f"{_OPEN} AND business_id IS NOT NULL"
OPEN_APPLICATION = "status IN ('pending', 'awaiting_second')"
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
    "loan_restructure",
)
NEW_KIND = "sme_loan_approval"
SME_PRODUCT = {
    "code": "sme",
    "name": "SME Loan",
    "min_amount_minor": 10_000_000,
    "max_amount_minor": 500_000_000,
    "term_days": 365,
    "regular_rate_bp": 1800,
    "penalty_rate_bp": 1800,
    "penalty_from_day": 1,
    "default_day": 90,
    "accrual_stop_day": 730,
    "savings_bp": 200,
    "savings_long_bp": 10000,
    "kind": "instalment",
    "schedule_method": "emi",
    "schedule_frequency": "monthly",
    "instalment_count": 12,
    "schedule_rounding": "cents",
    "schedule_day_count": "act365",
    "grace_principal": 0,
    "grace_interest": 0,
    "default_after_dpd": 90,
}
SME_RULES = {
    "min_instalments": 3,
    "max_instalments": 12,
    "four_eyes_above_minor": 100_000_000,
    "cash_flow_multiple_bp": 20000,
    "cash_flow_months": 6,
}


def _audience(values: str) -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_products_audience_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_products_audience_known"), f"audience IN ({values})"
        )


def _seed() -> None:
    columns = [sa.column(name) for name in SME_PRODUCT] + [
        sa.column("allocation_order", JSONDoc),
        sa.column("eligible_bands", JSONDoc),
        sa.column("audience", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("version", sa.Integer),
        sa.column("updated_at", UTCDateTime()),
    ]
    op.bulk_insert(
        sa.table("products", *columns),
        [
            {
                **SME_PRODUCT,
                "allocation_order": ["penalty", "interest", "principal"],
                "eligible_bands": None,
                "audience": "business",
                "active": True,
                "version": 1,
                "updated_at": datetime(2026, 12, 8, tzinfo=UTC),
            }
        ],
    )
    product_id = (
        op.get_bind().execute(sa.text("SELECT id FROM products WHERE code = 'sme'")).scalar_one()
    )
    rules = sa.table("business_product_rules", *(sa.column(n) for n in ("product_id", *SME_RULES)))
    op.bulk_insert(rules, [{"product_id": product_id, **SME_RULES}])


def upgrade() -> None:
    _audience("'individual', 'group', 'business'")
    op.create_table(
        "business_product_rules",
        sa.Column("id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("min_instalments", sa.Integer(), nullable=False),
        sa.Column("max_instalments", sa.Integer(), nullable=False),
        sa.Column("four_eyes_above_minor", sa.BigInteger(), nullable=False),
        sa.Column("cash_flow_multiple_bp", sa.Integer(), nullable=False),
        sa.Column("cash_flow_months", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "min_instalments > 0 AND max_instalments >= min_instalments",
            name=op.f("ck_business_product_rules_term_range"),
        ),
        sa.CheckConstraint(
            "four_eyes_above_minor >= 0", name=op.f("ck_business_product_rules_threshold_known")
        ),
        sa.CheckConstraint(
            "cash_flow_multiple_bp > 0", name=op.f("ck_business_product_rules_multiple_positive")
        ),
        sa.CheckConstraint(
            "cash_flow_months > 0", name=op.f("ck_business_product_rules_months_positive")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_business_product_rules_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_product_rules")),
        sa.UniqueConstraint("product_id", name=op.f("uq_business_product_rules_product_id")),
    )
    op.create_table(
        "businesses",
        sa.Column("id", ID, nullable=False),
        sa.Column("owner_borrower_id", ID, nullable=False),
        sa.Column("registration_number", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kra_pin", sa.String(length=11), nullable=False),
        sa.Column("till_number", sa.String(length=7), nullable=False),
        sa.Column("limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(kra_pin) = 11", name=op.f("ck_businesses_kra_pin_length")),
        sa.CheckConstraint(
            "substr(kra_pin, 1, 1) IN ('A', 'P')", name=op.f("ck_businesses_kra_pin_kind")
        ),
        sa.CheckConstraint(
            "registration_number LIKE 'BN-_______' OR registration_number LIKE 'PVT-_______'",
            name=op.f("ck_businesses_registration_format"),
        ),
        sa.CheckConstraint(
            "length(till_number) BETWEEN 5 AND 7", name=op.f("ck_businesses_till_length")
        ),
        sa.CheckConstraint("limit_minor >= 0", name=op.f("ck_businesses_limit_non_negative")),
        sa.ForeignKeyConstraint(
            ["owner_borrower_id"],
            ["borrowers.id"],
            name=op.f("fk_businesses_owner_borrower_id_borrowers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_businesses")),
        sa.UniqueConstraint("kra_pin", name=op.f("uq_businesses_kra_pin")),
        sa.UniqueConstraint("owner_borrower_id", name=op.f("uq_businesses_owner_borrower_id")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_businesses_registration_number")),
        sa.UniqueConstraint("till_number", name=op.f("uq_businesses_till_number")),
    )
    op.create_table(
        "business_limit_decisions",
        sa.Column("id", ID, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("previous_limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("facts", JSONDoc, nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_business_limit_decisions_business_id_businesses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_limit_decisions")),
    )
    op.create_index(
        op.f("ix_business_limit_decisions_business_id"),
        "business_limit_decisions",
        ["business_id"],
    )
    _seed()
    _business_loans()
    _applications()
    allow_kinds(op, (*KINDS, NEW_KIND))


def _open_index(name: str, column: str, where: str) -> None:
    op.create_index(
        name,
        "loans",
        [column],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def _business_loans() -> None:
    """``loans.business_id``; one open personal loan per borrower, one SME loan per business;
    the compliance guards' new version. SQLite rebuilds ``loans``, dropping its triggers: the
    guards are taken down first and put back after (as 0028)."""
    dialect = op.get_bind().dialect.name
    for statement in instalment_ddl.uninstall_statements(dialect):
        op.execute(statement)
    for statement in compliance_ddl.uninstall_0024(dialect):
        op.execute(statement)
    op.drop_index("uq_loans_one_open_per_borrower", table_name="loans")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("business_id", ID, nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_loans_business_id_businesses"), "businesses", ["business_id"], ["id"]
        )
    _open_index("uq_loans_one_open_per_borrower", "borrower_id", OPEN_PERSONAL)
    _open_index("uq_loans_one_open_per_business", "business_id", OPEN_OF_BUSINESS)
    for statement in compliance_ddl.install_statements(dialect):
        op.execute(statement)
    for statement in instalment_ddl.install_statements(dialect):
        op.execute(statement)


def _applications() -> None:
    op.create_table(
        "sme_applications",
        sa.Column("id", ID, nullable=False),
        sa.Column("business_id", ID, nullable=False),
        sa.Column("request_key", sa.String(length=128), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("instalments", sa.Integer(), nullable=False),
        sa.Column("quoted", JSONDoc, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("approval_request_id", ID, nullable=True),
        sa.Column("loan_id", ID, nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'awaiting_second', 'approved', 'rejected')",
            name=op.f("ck_sme_applications_status_known"),
        ),
        sa.CheckConstraint(
            "amount_minor > 0 AND instalments > 0", name=op.f("ck_sme_applications_terms_positive")
        ),
        sa.CheckConstraint(
            "(status = 'approved') = (loan_id IS NOT NULL)",
            name=op.f("ck_sme_applications_loan_iff_approved"),
        ),
        sa.CheckConstraint(
            "(status IN ('pending', 'awaiting_second')) = (decided_at IS NULL)",
            name=op.f("ck_sme_applications_decided_when_closed"),
        ),
        sa.ForeignKeyConstraint(
            ["approval_request_id"],
            ["approval_requests.id"],
            name=op.f("fk_sme_applications_approval_request_id_approval_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_sme_applications_business_id_businesses"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_sme_applications_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sme_applications")),
        sa.UniqueConstraint("loan_id", name=op.f("uq_sme_applications_loan_id")),
        sa.UniqueConstraint("request_key", name=op.f("uq_sme_applications_request_key")),
    )
    op.create_index(op.f("ix_sme_applications_business_id"), "sme_applications", ["business_id"])
    op.create_index(
        "uq_sme_applications_one_open_per_business",
        "sme_applications",
        ["business_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_APPLICATION),
        postgresql_where=sa.text(OPEN_APPLICATION),
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    forget_kind(op, NEW_KIND)
    allow_kinds(op, KINDS)
    op.drop_index("uq_sme_applications_one_open_per_business", table_name="sme_applications")
    op.drop_index(op.f("ix_sme_applications_business_id"), table_name="sme_applications")
    op.drop_table("sme_applications")
    for statement in instalment_ddl.uninstall_statements(dialect):
        op.execute(statement)
    for statement in compliance_ddl.uninstall_statements(dialect):
        op.execute(statement)
    op.drop_index("uq_loans_one_open_per_business", table_name="loans")
    op.drop_index("uq_loans_one_open_per_borrower", table_name="loans")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_loans_business_id_businesses"), type_="foreignkey")
        batch_op.drop_column("business_id")
    _open_index("uq_loans_one_open_per_borrower", "borrower_id", _OPEN)
    for statement in compliance_ddl.install_0024(dialect):
        op.execute(statement)
    for statement in instalment_ddl.install_statements(dialect):
        op.execute(statement)
    op.drop_index(
        op.f("ix_business_limit_decisions_business_id"), table_name="business_limit_decisions"
    )
    op.drop_table("business_limit_decisions")
    op.drop_table("businesses")
    op.drop_table("business_product_rules")
    op.execute("DELETE FROM products WHERE audience = 'business'")
    _audience("'individual', 'group'")
