"""staff creation under four eyes: the kind ``staff_creation``

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-08 01:45:00

Written by hand. Only ``ck_approval_requests_kind_known`` changes: it admits
``staff_creation`` (``app.admin.staff_requests``), through the one ``allow_kinds`` (which
takes the table's triggers and partial index down and puts them back around SQLite's
rebuild). Downgrading deletes the staff creation requests and their decisions; the users
they created stay.
"""

from collections.abc import Sequence

from alembic import op

from app.approvals.kind_migrations import allow_kinds, forget_kind

revision: str = "0031"
down_revision: str | None = "0030"
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
    "group_application",
    "group_payout",
    "group_officials",
    "loan_restructure",
    "sme_loan_approval",
)
NEW_KIND = "staff_creation"


def upgrade() -> None:
    allow_kinds(op, (*KINDS, NEW_KIND))


def downgrade() -> None:
    forget_kind(op, NEW_KIND)
    allow_kinds(op, KINDS)
