"""staff console sign-in: passwords, TOTP factors, lockout, console sessions

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08 00:30:00

Written by hand. ``staff_users`` gains ``password_hash`` (scrypt), ``totp_secret_enc`` (the
TOTP secret encrypted with the field keys), ``totp_last_step`` (no code accepted twice),
``failed_sign_ins`` (CHECKed never negative) and ``locked_until``. ``console_sessions``: one
row per signed-in browser, only the SHA-256 of its token stored (unique), deleted with its
user.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.sqltypes

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = ledger.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("totp_secret_enc", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("failed_sign_ins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("locked_until", UTC, nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_staff_users_failed_sign_ins_not_negative"), "failed_sign_ins >= 0"
        )
    op.create_table(
        "console_sessions",
        sa.Column("id", BIGINT_PK, nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("staff_user_id", BIGINT_PK, nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_seen_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.CheckConstraint(
            "last_seen_at >= created_at", name=op.f("ck_console_sessions_seen_after_start")
        ),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("ck_console_sessions_expires_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_console_sessions_staff_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_console_sessions_token_sha256")),
    )
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_sessions_staff_user_id"), ["staff_user_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("console_sessions")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_users_failed_sign_ins_not_negative"), type_="check")
        for name in (
            "locked_until",
            "failed_sign_ins",
            "totp_last_step",
            "totp_secret_enc",
            "password_hash",
        ):
            batch_op.drop_column(name)
