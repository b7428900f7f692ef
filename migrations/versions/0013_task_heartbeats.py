"""task heartbeats: when each periodic task last ran, how long it took, how often it failed

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 15:00:00

Written by hand: the table of ``app/tasks/models.py``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.sqltypes

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ledger.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "task_heartbeats",
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("watched_since", UTC, nullable=False),
        sa.Column("last_started_at", UTC, nullable=True),
        sa.Column("last_finished_at", UTC, nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        sa.Column("last_outcome", sa.String(length=8), nullable=True),
        sa.Column("last_error", sa.String(length=128), nullable=True),
        sa.Column("runs_total", sa.Integer(), nullable=False),
        sa.Column("failures_total", sa.Integer(), nullable=False),
        sa.Column("failures_consecutive", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "last_outcome IN ('ok', 'failed')", name=op.f("ck_task_heartbeats_outcome_known")
        ),
        sa.CheckConstraint(
            "failures_consecutive >= 0 AND failures_consecutive <= failures_total "
            "AND failures_total <= runs_total",
            name=op.f("ck_task_heartbeats_counts_consistent"),
        ),
        sa.CheckConstraint(
            "last_duration_ms >= 0", name=op.f("ck_task_heartbeats_duration_not_negative")
        ),
        sa.PrimaryKeyConstraint("task", name=op.f("pk_task_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("task_heartbeats")
