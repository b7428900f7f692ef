"""disputes of bureau records, consent records, erasure, the four-eyes kind ``crb_dispute``

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 01:30:00

Written by hand.
- ``crb_disputes``: a borrower's dispute of a loan's bureau record, flagged in the files while
  open, resolved under four eyes (one open dispute per loan; closed with outcome and time).
- ``crb_listings.state`` admits ``lifted`` (a listing taken back after an upheld dispute).
- ``consents``: the terms a borrower accepted, when and where; one row per existing borrower
  is written from the borrower row (channel ``before_records``; withdrawn at their opt-out).
- ``borrowers.erased_at``: when the retention policy erased the identity.
- ``approval_requests.kind`` admits ``crb_dispute``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.sqltypes
from app.approvals.kind_migrations import allow_kinds, forget_kind
from app.lending import ddl as lending_ddl

revision: str = "0025"
down_revision: str | None = "0024"
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
)
NEW_KIND = "crb_dispute"
OPEN = sa.text("status = 'open'")
STATES = "'notice_sent', 'listed', 'withdrawn', 'cleared', 'delisted'"
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = ledger.sqltypes.UTCDateTime(timezone=True)


def _listing_states(states: str) -> None:
    with op.batch_alter_table("crb_listings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_crb_listings_state_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_crb_listings_state_known"), f"state IN ({states})"
        )


def upgrade() -> None:
    op.create_table(
        "crb_disputes",
        sa.Column("id", ID, nullable=False),
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_at", UTC, nullable=False),
        sa.Column("respond_by", sa.Date(), nullable=False),
        sa.Column("resolved_at", UTC, nullable=True),
        sa.Column("resolution_note", sa.String(length=300), nullable=True),
        sa.Column("correction", sa.String(length=16), nullable=True),
        sa.Column("approval_id", ID, nullable=True),
        sa.CheckConstraint(
            "reason IN ('paid', 'not_mine', 'wrong_amount', 'other')",
            name=op.f("ck_crb_disputes_reason_known"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'upheld', 'rejected')", name=op.f("ck_crb_disputes_status_known")
        ),
        sa.CheckConstraint(
            "channel IN ('app', 'ussd', 'support')", name=op.f("ck_crb_disputes_channel_known")
        ),
        sa.CheckConstraint(
            "(status = 'open' AND resolved_at IS NULL AND correction IS NULL) OR "
            "(status = 'rejected' AND resolved_at IS NOT NULL AND correction IS NULL) OR "
            "(status = 'upheld' AND resolved_at IS NOT NULL AND correction = 'lift_listing')",
            name=op.f("ck_crb_disputes_closed_with_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["approval_requests.id"],
            name=op.f("fk_crb_disputes_approval_id_approval_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrowers.id"], name=op.f("fk_crb_disputes_borrower_id_borrowers")
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_crb_disputes_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crb_disputes")),
    )
    op.create_index(op.f("ix_crb_disputes_borrower_id"), "crb_disputes", ["borrower_id"])
    op.create_index(op.f("ix_crb_disputes_status"), "crb_disputes", ["status"])
    op.create_index(
        "uq_crb_disputes_one_open_per_loan",
        "crb_disputes",
        ["loan_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    _listing_states(f"{STATES}, 'lifted'")

    op.create_table(
        "consents",
        sa.Column("id", ID, nullable=False),
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("terms_version", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("given_at", UTC, nullable=False),
        sa.Column("withdrawn_at", UTC, nullable=True),
        sa.CheckConstraint(
            "channel IN ('ussd', 'app', 'support', 'before_records')",
            name=op.f("ck_consents_channel_known"),
        ),
        sa.CheckConstraint(
            "withdrawn_at IS NULL OR withdrawn_at >= given_at",
            name=op.f("ck_consents_withdrawn_after_given"),
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrowers.id"], name=op.f("fk_consents_borrower_id_borrowers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(op.f("ix_consents_borrower_id"), "consents", ["borrower_id"])
    op.execute(
        "INSERT INTO consents (borrower_id, terms_version, channel, given_at, withdrawn_at) "
        "SELECT id, terms_version, 'before_records', opted_in_at, opted_out_at FROM borrowers "
        "ORDER BY id"
    )
    op.add_column("borrowers", sa.Column("erased_at", UTC, nullable=True))
    allow_kinds(op, (*KINDS, NEW_KIND))


def downgrade() -> None:
    forget_kind(op, NEW_KIND)
    allow_kinds(op, KINDS)
    dialect = op.get_bind().dialect.name
    for statement in lending_ddl.uninstall_0024(dialect):  # SQLite rebuilds borrowers
        op.execute(statement)
    with op.batch_alter_table("borrowers", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    for statement in lending_ddl.install_0024(dialect):
        op.execute(statement)
    op.drop_index(op.f("ix_consents_borrower_id"), table_name="consents")
    op.drop_table("consents")
    op.execute("UPDATE crb_listings SET state = 'withdrawn' WHERE state = 'lifted'")
    _listing_states(STATES)
    op.drop_index("uq_crb_disputes_one_open_per_loan", table_name="crb_disputes")
    op.drop_index(op.f("ix_crb_disputes_status"), table_name="crb_disputes")
    op.drop_index(op.f("ix_crb_disputes_borrower_id"), table_name="crb_disputes")
    op.drop_table("crb_disputes")
