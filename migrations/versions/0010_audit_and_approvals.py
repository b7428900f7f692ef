"""audit log (append-only, hash-chained) and maker-checker requests

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:00:00

Written by hand: the tables of ``app/audit/models.py`` and ``app/approvals/models.py``, the
chain head's single row, and the triggers of ``app/audit/ddl.py`` and
``app/approvals/ddl.py`` (append-only log, head that only advances, final decisions).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import ledger.sqltypes
from app.audit import ddl as audit_ddl
from app.approvals import ddl as approvals_ddl

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
PENDING = sa.text("status = 'pending'")
UTC = ledger.sqltypes.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id >= 1", name=op.f("ck_audit_log_position_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_actor", ["actor", "id"], unique=False)
        batch_op.create_index("ix_audit_log_action", ["action", "id"], unique=False)
        batch_op.create_index(
            "ix_audit_log_subject", ["subject_type", "subject_id", "id"], unique=False
        )
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)

    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTC, nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_single_row")),
        sa.CheckConstraint("length >= 0", name=op.f("ck_audit_chain_head_length_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.bulk_insert(head, [{"id": 1, "length": 0, "last_hash": GENESIS_HASH, "updated_at": None}])

    op.create_table(
        "approval_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("maker", sa.String(length=64), nullable=False),
        sa.Column("maker_role", sa.String(length=16), nullable=False),
        sa.Column("request_key", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("checker", sa.String(length=64), nullable=True),
        sa.Column("decision_note", sa.String(length=300), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.CheckConstraint(
            "kind IN ('product_change', 'limit_override', 'write_off', 'manual_journal')",
            name=op.f("ck_approval_requests_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'failed', 'withdrawn')",
            name=op.f("ck_approval_requests_status_known"),
        ),
        sa.CheckConstraint(
            "checker IS NULL OR checker <> maker", name=op.f("ck_approval_requests_four_eyes")
        ),
        sa.CheckConstraint(
            "(status = 'pending' AND checker IS NULL AND decided_at IS NULL) "
            "OR (status = 'withdrawn' AND checker IS NULL AND decided_at IS NOT NULL) "
            "OR (status IN ('approved', 'rejected', 'failed') AND checker IS NOT NULL "
            "AND decided_at IS NOT NULL)",
            name=op.f("ck_approval_requests_decision_complete"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
        sa.UniqueConstraint("request_key", name=op.f("uq_approval_requests_request_key")),
    )
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.create_index(
            "uq_approval_requests_one_pending",
            ["kind", "subject_type", "subject_id"],
            unique=True,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
        batch_op.create_index("ix_approval_requests_status", ["status", "id"], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in audit_ddl.install_statements(dialect):
        op.execute(statement)
    for statement in approvals_ddl.install_0010(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in approvals_ddl.uninstall_0010(dialect):
        op.execute(statement)
    for statement in audit_ddl.uninstall_statements(dialect):
        op.execute(statement)
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_requests_status")
        batch_op.drop_index(
            "uq_approval_requests_one_pending", sqlite_where=PENDING, postgresql_where=PENDING
        )
    op.drop_table("approval_requests")
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_at")
        batch_op.drop_index("ix_audit_log_subject")
        batch_op.drop_index("ix_audit_log_action")
        batch_op.drop_index("ix_audit_log_actor")
    op.drop_table("audit_log")
