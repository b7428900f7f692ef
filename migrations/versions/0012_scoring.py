"""scoring: scorecard versions, score decisions, the rescoring schedule, activation approvals

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 18:00:00

Written by hand: the tables of ``app/scoring/models.py``, two columns on ``borrowers`` and the
``scorecard_activation`` kind of maker-checker request.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import ledger.sqltypes
from app.approvals import ddl as approvals_ddl

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = ledger.sqltypes.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ACTIVE = sa.text("status = 'active'")
KINDS_BEFORE = ("product_change", "limit_override", "write_off", "manual_journal")
KINDS_AFTER = (*KINDS_BEFORE, "scorecard_activation")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "scorecard_versions",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("artifact", JSON, nullable=False),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("data_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("data_rows", sa.Integer(), nullable=False),
        sa.Column("trained_by", sa.String(length=64), nullable=False),
        sa.Column("trained_at", UTC, nullable=False),
        sa.Column("activated_at", UTC, nullable=True),
        sa.Column("activated_by", sa.String(length=64), nullable=True),
        sa.Column("retired_at", UTC, nullable=True),
        sa.CheckConstraint(
            _one_of("status", ("draft", "active", "retired")),
            name=op.f("ck_scorecard_versions_status_known"),
        ),
        sa.CheckConstraint(
            "(status = 'draft' AND activated_at IS NULL AND retired_at IS NULL) "
            "OR (status = 'active' AND activated_at IS NOT NULL AND retired_at IS NULL) "
            "OR (status = 'retired' AND activated_at IS NOT NULL AND retired_at IS NOT NULL)",
            name=op.f("ck_scorecard_versions_lifecycle_complete"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_versions")),
    )
    op.create_index(
        "uq_scorecard_versions_one_active",
        "scorecard_versions",
        ["status"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_table(
        "score_decisions",
        sa.Column("id", ID, nullable=False),
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("scorecard_version_id", ID, nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("treatment", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("band", sa.String(length=2), nullable=True),
        sa.Column("features", JSON, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("previous_limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", UTC, nullable=False),
        sa.CheckConstraint(
            _one_of(
                "trigger", ("registration", "scheduled", "repaid", "default", "staff", "rejoined")
            ),
            name=op.f("ck_score_decisions_trigger_known"),
        ),
        sa.CheckConstraint(
            _one_of("treatment", ("scorecard", "thin_file", "no_scorecard")),
            name=op.f("ck_score_decisions_treatment_known"),
        ),
        sa.CheckConstraint(
            "(treatment = 'scorecard') = "
            "(scorecard_version_id IS NOT NULL AND points IS NOT NULL AND band IS NOT NULL)",
            name=op.f("ck_score_decisions_scored_iff_scorecard"),
        ),
        sa.CheckConstraint(
            "limit_minor >= 0 AND previous_limit_minor >= 0",
            name=op.f("ck_score_decisions_limits_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrowers.id"], name=op.f("fk_score_decisions_borrower_id_borrowers")
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_version_id"],
            ["scorecard_versions.id"],
            name=op.f("fk_score_decisions_scorecard_version_id_scorecard_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_decisions")),
    )
    op.create_index(
        "ix_score_decisions_borrower", "score_decisions", ["borrower_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_score_decisions_scorecard_version_id"),
        "score_decisions",
        ["scorecard_version_id"],
        unique=False,
    )
    with op.batch_alter_table("borrowers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rescore_due_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("rescore_trigger", sa.String(length=16), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_borrowers_rescore_due_at"), ["rescore_due_at"], unique=False
        )
    _borrowers_due_now()
    _approval_kinds(KINDS_AFTER)


def downgrade() -> None:
    _approval_kinds(KINDS_BEFORE, delete_kind="scorecard_activation")
    with op.batch_alter_table("borrowers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_borrowers_rescore_due_at"))
        batch_op.drop_column("rescore_trigger")
        batch_op.drop_column("rescore_due_at")
    op.drop_table("score_decisions")
    op.drop_index("uq_scorecard_versions_one_active", table_name="scorecard_versions")
    op.drop_table("scorecard_versions")


def _borrowers_due_now() -> None:
    """Borrowers opted in before scoring existed have no decision: the rescoring sweep scores
    them first (oldest registrations first, in its batches)."""
    borrowers = sa.table(
        "borrowers",
        sa.column("status", sa.String()),
        sa.column("opted_in_at", UTC),
        sa.column("rescore_due_at", UTC),
        sa.column("rescore_trigger", sa.String()),
    )
    op.execute(
        borrowers.update()
        .where(borrowers.c.status == "active")
        .values(rescore_due_at=borrowers.c.opted_in_at, rescore_trigger="scheduled")
    )


def _approval_kinds(kinds: Sequence[str], delete_kind: str | None = None) -> None:
    """Widen or narrow the kinds CHECK. SQLite rebuilds the table for it, which drops its
    triggers, so the decision guards are taken off first and put back after."""
    dialect = op.get_bind().dialect.name
    for statement in approvals_ddl.uninstall_0010(dialect):
        op.execute(statement)
    if delete_kind is not None:  # a downgrade forgets the requests of the kind it removes
        op.execute(
            sa.text("DELETE FROM approval_requests WHERE kind = :kind").bindparams(kind=delete_kind)
        )
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_approval_requests_kind_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_kind_known"), _one_of("kind", kinds)
        )
    for statement in approvals_ddl.install_0010(dialect):
        op.execute(statement)
