"""float transfers: the four-eyes kind ``float_transfer`` (money moved between the floats)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 21:40:00

Written by hand. Only ``ck_approval_requests_kind_known`` changes: it admits
``float_transfer`` (``app.accounting.float_transfers``).

SQLite rebuilds the table to change a CHECK constraint (batch mode), which drops its
triggers and its partial index: both are taken down first and put back after, as 0017 does.
Downgrading deletes the float transfer requests and their decisions (the entries they
posted stay in the ledger, which never forgets).
"""

from collections.abc import Sequence

from alembic import op

from app.approvals.kind_migration import drop_requests_of, set_known_kinds

revision: str = "0020"
down_revision: str | None = "0019"
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
)
NEW_KIND = "float_transfer"


def upgrade() -> None:
    set_known_kinds(op, KINDS + (NEW_KIND,))


def downgrade() -> None:
    drop_requests_of(op, NEW_KIND)
    set_known_kinds(op, KINDS)
