"""ussd: sessions, registrations waiting for their checks, end-of-session notifications

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import ledger.sqltypes

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "ussd_sessions",
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("network_code", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("hops", sa.Integer(), nullable=False),
        sa.Column("last_text_digest", sa.String(length=64), nullable=False),
        sa.Column("last_text_chars", sa.Integer(), nullable=False),
        sa.Column("last_reply", sa.String(length=200), nullable=False),
        sa.Column("ended", sa.Boolean(), nullable=False),
        sa.Column("created_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "hops >= 0 AND last_text_chars >= 0",
            name=op.f("ck_ussd_sessions_counts_non_negative"),
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_ussd_sessions")),
    )
    with op.batch_alter_table("ussd_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_ussd_sessions_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "ussd_registrations",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=False),
        sa.Column("phone_enc", sa.String(length=400), nullable=False),
        sa.Column("national_id_enc", sa.String(length=400), nullable=True),
        sa.Column("pin_hash", sa.String(length=200), nullable=True),
        sa.Column("terms_version", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("borrower_id", BIGINT_ID, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sms_sent_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'completed', 'refused', 'failed')",
            name=op.f("ck_ussd_registrations_status_known"),
        ),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_ussd_registrations_attempts_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"],
            ["borrowers.id"],
            name=op.f("fk_ussd_registrations_borrower_id_borrowers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ussd_registrations")),
        sa.UniqueConstraint("session_id", name=op.f("uq_ussd_registrations_session_id")),
    )
    with op.batch_alter_table("ussd_registrations", schema=None) as batch_op:
        batch_op.create_index("ix_ussd_registrations_due", ["status", "next_try_at"], unique=False)
        batch_op.create_index(
            "uq_ussd_registrations_one_pending_per_phone",
            ["phone_index"],
            unique=True,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )

    op.create_table(
        "ussd_session_events",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("network_code", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_message", sa.String(length=500), nullable=True),
        sa.Column("hops_count", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("cost", sa.String(length=32), nullable=True),
        sa.Column("gateway_date", sa.String(length=32), nullable=True),
        sa.Column("received_at", ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ussd_session_events")),
        sa.UniqueConstraint("session_id", name=op.f("uq_ussd_session_events_session_id")),
    )


def downgrade() -> None:
    op.drop_table("ussd_session_events")
    with op.batch_alter_table("ussd_registrations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_ussd_registrations_one_pending_per_phone",
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
        batch_op.drop_index("ix_ussd_registrations_due")
    op.drop_table("ussd_registrations")
    with op.batch_alter_table("ussd_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_ussd_sessions_updated_at")
    op.drop_table("ussd_sessions")
