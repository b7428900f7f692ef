"""groups: group lending's tables, the group product, and the group four-eyes kinds

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 00:30:00

Generated, then edited by hand. New tables (app/groups/models.py): ``group_rules`` (the group
product's own data: minimum members, groups per borrower, approvers drawn and asked, hours to
decide), ``groups``, ``group_members`` (one live membership per group and borrower, one live
holder per office: partial unique indexes), ``group_scores``, ``group_applications`` (one
open per group: a partial unique index; the draw's seed, candidates and result) and
``group_application_shares`` (never negative, one per member).

``products.audience`` (``individual`` or ``group``): the group product is never offered to or
lent to an individual. Seeds the Group Loan product (KES 20,000 - 1,000,000, 7% a year on a reducing balance, six
monthly instalments, 5% savings) and its rules (10 members, 3 groups per borrower, 3 drawn
+ 2 officials, 72 hours).

``ck_approval_requests_kind_known`` admits ``group_application``, ``group_payout`` and
``group_officials``: as 0020 does, the approvals' triggers and partial index are taken down
around SQLite's table rebuild and put back after. Downgrading deletes the group requests.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from app.approvals.kind_migrations import allow_kinds, forget_kind
from ledger.sqltypes import JSONDoc, UTCDateTime

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
)
NEW_KINDS = ("group_application", "group_payout", "group_officials")
APPLICATION_STATUSES = (
    "pending_approval",
    "pending_payout_approval",
    "ready_for_payout",
    "rejected",
    "lapsed",
    "withdrawn",
    "failed",
)
DATES_FOLLOW_STATUS = (
    "(status = 'invited' AND joined_at IS NULL AND ended_at IS NULL) "
    "OR (status = 'active' AND joined_at IS NOT NULL AND ended_at IS NULL) "
    "OR (status = 'declined' AND joined_at IS NULL AND ended_at IS NOT NULL) "
    "OR (status IN ('left', 'removed') AND joined_at IS NOT NULL AND ended_at IS NOT NULL)"
)
GROUP_PRODUCT = {
    "code": "group",
    "name": "Group Loan",
    "min_amount_minor": 2_000_000,
    "max_amount_minor": 100_000_000,
    "term_days": 183,
    "regular_rate_bp": 700,
    "penalty_rate_bp": 700,
    "penalty_from_day": 1,
    "default_day": 90,
    "accrual_stop_day": 365,
    "savings_bp": 500,
    "savings_long_bp": 10000,
    "kind": "instalment",
    "schedule_method": "declining",
    "schedule_frequency": "monthly",
    "instalment_count": 6,
    "schedule_rounding": "cents",
    "schedule_day_count": "act365",
    "grace_principal": 0,
    "grace_interest": 0,
    "default_after_dpd": 90,
}
GROUP_RULES = {
    "min_members": 10,
    "max_groups_per_borrower": 3,
    "drawn_approvers": 3,
    "official_approvers": 2,
    "approval_hours": 72,
}


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _seed() -> None:
    bind = op.get_bind()
    columns = [sa.column(name) for name in GROUP_PRODUCT] + [
        sa.column("allocation_order", JSONDoc),
        sa.column("eligible_bands", JSONDoc),
        sa.column("audience", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("version", sa.Integer),
        sa.column("updated_at", UTCDateTime()),
    ]
    products = sa.table("products", *columns)
    op.bulk_insert(
        products,
        [
            {
                **GROUP_PRODUCT,
                "allocation_order": ["penalty", "interest", "principal"],
                "eligible_bands": None,
                "audience": "group",
                "active": True,
                "version": 1,
                "updated_at": datetime(2026, 12, 8, tzinfo=UTC),
            }
        ],
    )
    product_id = bind.execute(sa.text("SELECT id FROM products WHERE code = 'group'")).scalar_one()
    rules = sa.table("group_rules", *(sa.column(n) for n in ("product_id", *GROUP_RULES)))
    op.bulk_insert(rules, [{"product_id": product_id, **GROUP_RULES}])


def upgrade() -> None:
    op.add_column(
        "products",
        sa.Column(
            "audience",
            sa.String(length=12),
            sa.CheckConstraint(
                "audience IN ('individual', 'group')", name=op.f("ck_products_audience_known")
            ),
            server_default="individual",
            nullable=False,
        ),
    )
    allow_kinds(op, KINDS + NEW_KINDS)
    op.create_table(
        "group_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("min_members", sa.Integer(), nullable=False),
        sa.Column("max_groups_per_borrower", sa.Integer(), nullable=False),
        sa.Column("drawn_approvers", sa.Integer(), nullable=False),
        sa.Column("official_approvers", sa.Integer(), nullable=False),
        sa.Column("approval_hours", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "approval_hours > 0", name=op.f("ck_group_rules_approval_hours_positive")
        ),
        sa.CheckConstraint(
            "drawn_approvers >= 1 AND official_approvers BETWEEN 1 AND 2",
            name=op.f("ck_group_rules_approvers"),
        ),
        sa.CheckConstraint(
            "max_groups_per_borrower >= 1", name=op.f("ck_group_rules_max_groups_positive")
        ),
        sa.CheckConstraint("min_members >= 2", name=op.f("ck_group_rules_min_members_sane")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_group_rules_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_rules")),
        sa.UniqueConstraint("product_id", name=op.f("uq_group_rules_product_id")),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("registration_number", sa.String(length=20), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("scored_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("activated_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('forming', 'active')", name=op.f("ck_groups_status_known")),
        sa.CheckConstraint("limit_minor >= 0", name=op.f("ck_groups_limit_non_negative")),
        sa.CheckConstraint(
            "score IS NULL OR score BETWEEN 0 AND 100", name=op.f("ck_groups_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["borrowers.id"], name=op.f("fk_groups_created_by_borrowers")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_groups_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_groups_registration_number")),
    )
    op.create_table(
        "group_applications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "applicant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("product_terms", JSONDoc, nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("schedule", sa.String(length=12), nullable=False),
        sa.Column("group_limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("draw_seed", sa.String(length=64), nullable=False),
        sa.Column("draw_candidates", JSONDoc, nullable=False),
        sa.Column("drawn", JSONDoc, nullable=False),
        sa.Column("approvers", JSONDoc, nullable=False),
        sa.Column(
            "approval_request_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "payout_request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "schedule IN ('instalments', 'lump_sum')",
            name=op.f("ck_group_applications_schedule_known"),
        ),
        sa.CheckConstraint(
            _one_of("status", APPLICATION_STATUSES),
            name=op.f("ck_group_applications_status_known"),
        ),
        sa.CheckConstraint(
            "(status IN ('pending_approval', 'pending_payout_approval')) = (closed_at IS NULL)",
            name=op.f("ck_group_applications_closed_when_decided"),
        ),
        sa.CheckConstraint(
            "amount_minor <= group_limit_minor", name=op.f("ck_group_applications_within_limit")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_group_applications_amount_positive")),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["borrowers.id"],
            name=op.f("fk_group_applications_applicant_id_borrowers"),
        ),
        sa.ForeignKeyConstraint(
            ["approval_request_id"],
            ["approval_requests.id"],
            name=op.f("fk_group_applications_approval_request_id_approval_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_group_applications_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["payout_request_id"],
            ["approval_requests.id"],
            name=op.f("fk_group_applications_payout_request_id_approval_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_group_applications_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_applications")),
    )
    with op.batch_alter_table("group_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_applications_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index(
            "uq_group_applications_one_open",
            ["group_id"],
            unique=True,
            postgresql_where=sa.text(
                "status IN ('pending_approval', 'pending_payout_approval', 'ready_for_payout')"
            ),
            sqlite_where=sa.text(
                "status IN ('pending_approval', 'pending_payout_approval', 'ready_for_payout')"
            ),
        )

    op.create_table(
        "group_members",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "borrower_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "invited_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("invited_at", UTCDateTime(), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            DATES_FOLLOW_STATUS,
            name=op.f("ck_group_members_dates_follow_status"),
        ),
        sa.CheckConstraint(
            "role IN ('member', 'chair', 'secretary', 'treasurer')",
            name=op.f("ck_group_members_role_known"),
        ),
        sa.CheckConstraint(
            "status IN ('invited', 'active', 'declined', 'left', 'removed')",
            name=op.f("ck_group_members_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrowers.id"], name=op.f("fk_group_members_borrower_id_borrowers")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_group_members_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["borrowers.id"], name=op.f("fk_group_members_invited_by_borrowers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_members")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index("ix_group_members_borrower", ["borrower_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_group_members_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            "uq_group_members_one_live",
            ["group_id", "borrower_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('invited', 'active')"),
            sqlite_where=sa.text("status IN ('invited', 'active')"),
        )
        batch_op.create_index(
            "uq_group_members_one_per_office",
            ["group_id", "role"],
            unique=True,
            postgresql_where=sa.text("status IN ('invited', 'active') AND role <> 'member'"),
            sqlite_where=sa.text("status IN ('invited', 'active') AND role <> 'member'"),
        )

    op.create_table(
        "group_scores",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("reasons", JSONDoc, nullable=False),
        sa.Column("facts", JSONDoc, nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("limit_minor >= 0", name=op.f("ck_group_scores_limit_non_negative")),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_group_scores_score_range")),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_group_scores_group_id_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_scores")),
    )
    with op.batch_alter_table("group_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_scores_group_id"), ["group_id"], unique=False)

    op.create_table(
        "group_application_shares",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "borrower_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount_minor >= 0", name=op.f("ck_group_application_shares_amount_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["group_applications.id"],
            name=op.f("fk_group_application_shares_application_id_group_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"],
            ["borrowers.id"],
            name=op.f("fk_group_application_shares_borrower_id_borrowers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_application_shares")),
        sa.UniqueConstraint("application_id", "borrower_id", name="uq_group_shares_one_per_member"),
    )
    with op.batch_alter_table("group_application_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_application_shares_application_id"),
            ["application_id"],
            unique=False,
        )
    _seed()


def downgrade() -> None:
    with op.batch_alter_table("group_application_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_application_shares_application_id"))

    op.drop_table("group_application_shares")
    with op.batch_alter_table("group_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_scores_group_id"))

    op.drop_table("group_scores")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_group_members_one_per_office",
            postgresql_where=sa.text("status IN ('invited', 'active') AND role <> 'member'"),
            sqlite_where=sa.text("status IN ('invited', 'active') AND role <> 'member'"),
        )
        batch_op.drop_index(
            "uq_group_members_one_live",
            postgresql_where=sa.text("status IN ('invited', 'active')"),
            sqlite_where=sa.text("status IN ('invited', 'active')"),
        )
        batch_op.drop_index(batch_op.f("ix_group_members_group_id"))
        batch_op.drop_index("ix_group_members_borrower")

    op.drop_table("group_members")
    with op.batch_alter_table("group_applications", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_group_applications_one_open",
            postgresql_where=sa.text(
                "status IN ('pending_approval', 'pending_payout_approval', 'ready_for_payout')"
            ),
            sqlite_where=sa.text(
                "status IN ('pending_approval', 'pending_payout_approval', 'ready_for_payout')"
            ),
        )
        batch_op.drop_index(batch_op.f("ix_group_applications_group_id"))

    op.drop_table("group_applications")
    op.drop_table("groups")
    op.drop_table("group_rules")
    op.execute("DELETE FROM products WHERE code = 'group'")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_products_audience_known"), type_="check")
        batch_op.drop_column("audience")
    for kind in NEW_KINDS:
        forget_kind(op, kind)
    allow_kinds(op, KINDS)
