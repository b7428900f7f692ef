"""credit bureau reporting: submissions, rejected records, negative listings

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 22:00:00

``crb_submissions``: one row per (bureau, file name), the bureau's answer and its count of
errors; ``crb_rejections``: each error until a later file is accepted; ``crb_listings``: one
per loan, the notice, the listing and its end, never for KES 1,000 or less (CHECKs on the
noticed and the listed amount, > 100000 minor units).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.sqltypes

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crb_submissions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bureau", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("file_type", sa.String(length=10), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("file_name", sa.String(length=80), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rejections", sa.Integer(), nullable=False),
        sa.Column("sent_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "file_type IN ('consumer', 'account')", name=op.f("ck_crb_submissions_file_type_known")
        ),
        sa.CheckConstraint(
            "kind IN ('daily', 'monthly')", name=op.f("ck_crb_submissions_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('sent', 'accepted', 'rejected')",
            name=op.f("ck_crb_submissions_status_known"),
        ),
        sa.CheckConstraint(
            "rejections >= 0 AND records >= 0", name=op.f("ck_crb_submissions_counts_non_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crb_submissions")),
        sa.UniqueConstraint("bureau", "file_name", name="uq_crb_submissions_bureau_file"),
    )
    with op.batch_alter_table("crb_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crb_submissions_business_date"), ["business_date"], unique=False
        )

    op.create_table(
        "crb_rejections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "submission_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("record", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("resolved_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("record >= 0", name=op.f("ck_crb_rejections_record_non_negative")),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["crb_submissions.id"],
            name=op.f("fk_crb_rejections_submission_id_crb_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crb_rejections")),
    )
    with op.batch_alter_table("crb_rejections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crb_rejections_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "crb_listings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("loan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "borrower_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("noticed_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("notice_on", sa.Date(), nullable=False),
        sa.Column("listing_on", sa.Date(), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=True),
        sa.Column("listed_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('notice_sent', 'listed', 'withdrawn', 'cleared', 'delisted')",
            name=op.f("ck_crb_listings_state_known"),
        ),
        sa.CheckConstraint(
            "state NOT IN ('listed', 'cleared', 'delisted') OR listed_on IS NOT NULL",
            name=op.f("ck_crb_listings_listed_has_date"),
        ),
        sa.CheckConstraint(
            "(listed_on IS NULL AND listed_amount_minor IS NULL) OR "
            "(listed_on IS NOT NULL AND listed_amount_minor > 100000 AND listed_on >= listing_on)",
            name=op.f("ck_crb_listings_listed_above_threshold_on_time"),
        ),
        sa.CheckConstraint(
            "noticed_amount_minor > 100000", name=op.f("ck_crb_listings_noticed_above_threshold")
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrowers.id"], name=op.f("fk_crb_listings_borrower_id_borrowers")
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_crb_listings_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crb_listings")),
        sa.UniqueConstraint("loan_id", name="uq_crb_listings_loan"),
    )
    with op.batch_alter_table("crb_listings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crb_listings_borrower_id"), ["borrower_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_crb_listings_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crb_listings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crb_listings_state"))
        batch_op.drop_index(batch_op.f("ix_crb_listings_borrower_id"))

    op.drop_table("crb_listings")
    with op.batch_alter_table("crb_rejections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crb_rejections_submission_id"))

    op.drop_table("crb_rejections")
    with op.batch_alter_table("crb_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crb_submissions_business_date"))

    op.drop_table("crb_submissions")
