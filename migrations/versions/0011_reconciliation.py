"""reconciliation: statements and their lines, runs, results, exceptions, resolutions

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 10:00:00

Written by hand: the tables of ``app/reconciliation/models.py`` and
``app/reconciliation/exceptions/models.py``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import ledger.sqltypes

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = ledger.sqltypes.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


CATEGORIES = ("payment_in", "payout", "reversal", "charge", "settlement", "other")
OUTCOMES = (
    "matched",
    "missing_in_ledger",
    "missing_at_provider",
    "amount_mismatch",
    "duplicate",
    "charge",
    "settlement",
    "suspense",
    "no_movement",
)
KINDS = (
    "missing_in_ledger",
    "missing_at_provider",
    "amount_mismatch",
    "duplicate",
    "charge",
    "settlement",
    "suspense",
    "pending_payout",
    "float_difference",
)
STATES = ("open", "investigating", "resolved", "written_off")
RESOLUTION_STATUSES = ("proposed", "approved", "applied", "rejected", "withdrawn", "failed")
NOT_NULL_CANDIDATE = sa.text("candidate_ref IS NOT NULL")
PROPOSED = sa.text("status = 'proposed'")


def upgrade() -> None:
    _statements()
    _runs()
    _exceptions()
    _results()


def _statements() -> None:
    op.create_table(
        "recon_statements",
        sa.Column("id", ID, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("account_holder", sa.String(length=120), nullable=True),
        sa.Column("shortcode", sa.String(length=20), nullable=True),
        sa.Column("account_name", sa.String(length=60), nullable=True),
        sa.Column("period_from", UTC, nullable=False),
        sa.Column("period_to", UTC, nullable=False),
        sa.Column("opening_balance_minor", sa.BigInteger(), nullable=True),
        sa.Column("closing_balance_minor", sa.BigInteger(), nullable=True),
        sa.Column("lines_read", sa.Integer(), nullable=False),
        sa.Column("lines_new", sa.Integer(), nullable=False),
        sa.Column("lines_known", sa.Integer(), nullable=False),
        sa.Column("lines_conflicting", sa.Integer(), nullable=False),
        sa.Column("paid_in_minor", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn_minor", sa.BigInteger(), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", UTC, nullable=False),
        sa.CheckConstraint(
            "period_from <= period_to", name=op.f("ck_recon_statements_period_ordered")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_statements")),
        sa.UniqueConstraint("sha256", name=op.f("uq_recon_statements_sha256")),
    )
    op.create_table(
        "recon_statement_lines",
        sa.Column("id", ID, nullable=False),
        sa.Column("line_key", sa.String(length=40), nullable=False),
        sa.Column("statement_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=32), nullable=False),
        sa.Column("completed_at", UTC, nullable=False),
        sa.Column("initiated_at", UTC, nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("moves_money", sa.Boolean(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("reason_type", sa.String(length=80), nullable=True),
        sa.Column("details", sa.String(length=200), nullable=True),
        sa.Column("other_party", sa.String(length=120), nullable=True),
        sa.Column("linked_receipt", sa.String(length=32), nullable=True),
        sa.Column("account_ref", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint(
            _one_of("category", CATEGORIES), name=op.f("ck_recon_statement_lines_category_known")
        ),
        sa.CheckConstraint(
            _one_of("role", ("main", "charge")), name=op.f("ck_recon_statement_lines_role_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_statement_lines")),
        sa.UniqueConstraint("line_key", name=op.f("uq_recon_statement_lines_line_key")),
    )
    with op.batch_alter_table("recon_statement_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recon_statement_lines_completed_at"), ["completed_at"], unique=False
        )
    op.create_table(
        "recon_line_conflicts",
        sa.Column("id", ID, nullable=False),
        sa.Column("statement_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("line_key", sa.String(length=40), nullable=False),
        sa.Column("line_id", ID, nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", UTC, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["recon_statement_lines.id"],
            name=op.f("fk_recon_line_conflicts_line_id_recon_statement_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["recon_statements.id"],
            name=op.f("fk_recon_line_conflicts_statement_id_recon_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_line_conflicts")),
        sa.UniqueConstraint(
            "statement_id", "line_no", name=op.f("uq_recon_line_conflicts_statement_id")
        ),
    )


def _runs() -> None:
    op.create_table(
        "recon_runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("statement_id", ID, nullable=True),
        sa.Column("period_from", UTC, nullable=False),
        sa.Column("period_to", UTC, nullable=False),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=False),
        sa.Column("cursor_line_id", sa.BigInteger(), nullable=False),
        sa.Column("lines_total", sa.Integer(), nullable=False),
        sa.Column("lines_done", sa.Integer(), nullable=False),
        sa.Column("items_total", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=True),
        sa.Column("finished_at", UTC, nullable=True),
        sa.CheckConstraint(
            _one_of("status", ("queued", "running", "done", "failed")),
            name=op.f("ck_recon_runs_status_known"),
        ),
        sa.CheckConstraint(
            _one_of("phase", ("snapshot", "matching", "closing", "done")),
            name=op.f("ck_recon_runs_phase_known"),
        ),
        sa.CheckConstraint(
            _one_of("kind", ("statement", "period")), name=op.f("ck_recon_runs_kind_known")
        ),
        sa.CheckConstraint("period_from <= period_to", name=op.f("ck_recon_runs_period_ordered")),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["recon_statements.id"],
            name=op.f("fk_recon_runs_statement_id_recon_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_runs")),
        sa.UniqueConstraint("run_key", name=op.f("uq_recon_runs_run_key")),
    )
    with op.batch_alter_table("recon_runs", schema=None) as batch_op:
        batch_op.create_index("ix_recon_runs_status", ["status", "id"], unique=False)
    op.create_table(
        "recon_ledger_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("receipt", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("in_count", sa.Integer(), nullable=False),
        sa.Column("out_count", sa.Integer(), nullable=False),
        sa.Column("first_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("first_at", UTC, nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=True),
        sa.Column("suspense_open", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_ledger_items")),
        sa.UniqueConstraint(
            "run_id", "receipt", "role", name=op.f("uq_recon_ledger_items_run_id")
        ),
    )


def _exceptions() -> None:
    op.create_table(
        "recon_exceptions",
        sa.Column("id", ID, nullable=False),
        sa.Column("natural_key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=14), nullable=False),
        sa.Column("receipt", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=8), nullable=True),
        sa.Column("line_id", ID, nullable=True),
        sa.Column("payout_id", ID, nullable=True),
        sa.Column("first_run_id", ID, nullable=True),
        sa.Column("statement_minor", sa.BigInteger(), nullable=True),
        sa.Column("ledger_minor", sa.BigInteger(), nullable=True),
        sa.Column("difference_minor", sa.BigInteger(), nullable=False),
        sa.Column("suggested_action", sa.String(length=20), nullable=True),
        sa.Column("suggested_loan_id", sa.BigInteger(), nullable=True),
        sa.Column("candidate_ref", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("opened_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.CheckConstraint(_one_of("kind", KINDS), name=op.f("ck_recon_exceptions_kind_known")),
        sa.CheckConstraint(
            _one_of("state", STATES), name=op.f("ck_recon_exceptions_state_known")
        ),
        sa.CheckConstraint(
            "(state IN ('open', 'investigating')) = (closed_at IS NULL)",
            name=op.f("ck_recon_exceptions_closed_when_final"),
        ),
        sa.ForeignKeyConstraint(
            ["first_run_id"],
            ["recon_runs.id"],
            name=op.f("fk_recon_exceptions_first_run_id_recon_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["recon_statement_lines.id"],
            name=op.f("fk_recon_exceptions_line_id_recon_statement_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_recon_exceptions_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_exceptions")),
        sa.UniqueConstraint("natural_key", name=op.f("uq_recon_exceptions_natural_key")),
    )
    with op.batch_alter_table("recon_exceptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recon_exceptions_receipt"), ["receipt"], unique=False)
        batch_op.create_index("ix_recon_exceptions_state", ["state", "id"], unique=False)
    op.create_table(
        "recon_resolutions",
        sa.Column("id", ID, nullable=False),
        sa.Column("exception_id", ID, nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("proposed_role", sa.String(length=16), nullable=False),
        sa.Column("proposed_at", UTC, nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("request_key", sa.String(length=128), nullable=True),
        sa.Column("entry_id", ID, nullable=True),
        sa.Column("outcome", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            _one_of("status", RESOLUTION_STATUSES), name=op.f("ck_recon_resolutions_status_known")
        ),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> proposed_by",
            name=op.f("ck_recon_resolutions_four_eyes"),
        ),
        sa.CheckConstraint(
            "status <> 'approved' OR (decided_by IS NOT NULL AND decided_at IS NOT NULL)",
            name=op.f("ck_recon_resolutions_approved_by_checker"),
        ),
        sa.CheckConstraint(
            "status <> 'applied' OR action IN ('explain', 'auto_matched')",
            name=op.f("ck_recon_resolutions_single_handed_moves_no_money"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_recon_resolutions_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["recon_exceptions.id"],
            name=op.f("fk_recon_resolutions_exception_id_recon_exceptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_resolutions")),
        sa.UniqueConstraint("request_key", name=op.f("uq_recon_resolutions_request_key")),
    )
    with op.batch_alter_table("recon_resolutions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recon_resolutions_exception_id"), ["exception_id"], unique=False
        )
        batch_op.create_index(
            "uq_recon_resolutions_one_proposed",
            ["exception_id"],
            unique=True,
            sqlite_where=PROPOSED,
            postgresql_where=PROPOSED,
        )
    op.create_table(
        "recon_float_checks",
        sa.Column("id", ID, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=80), nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("as_of", UTC, nullable=False),
        sa.Column("provider_minor", sa.BigInteger(), nullable=False),
        sa.Column("ledger_minor", sa.BigInteger(), nullable=False),
        sa.Column("difference_minor", sa.BigInteger(), nullable=False),
        sa.Column("explained_minor", sa.BigInteger(), nullable=True),
        sa.Column("checked_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["recon_runs.id"], name=op.f("fk_recon_float_checks_run_id_recon_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_float_checks")),
        sa.UniqueConstraint("source_ref", name=op.f("uq_recon_float_checks_source_ref")),
    )


def _results() -> None:
    op.create_table(
        "recon_results",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("line_id", sa.BigInteger(), nullable=True),
        sa.Column("item_id", sa.BigInteger(), nullable=True),
        sa.Column("receipt", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("statement_minor", sa.BigInteger(), nullable=True),
        sa.Column("ledger_minor", sa.BigInteger(), nullable=True),
        sa.Column("difference_minor", sa.BigInteger(), nullable=False),
        sa.Column("candidate_ref", sa.String(length=40), nullable=True),
        sa.Column("exception_id", ID, nullable=True),
        sa.CheckConstraint(
            _one_of("outcome", OUTCOMES), name=op.f("ck_recon_results_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["recon_exceptions.id"],
            name=op.f("fk_recon_results_exception_id_recon_exceptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_results")),
        sa.UniqueConstraint("run_id", "line_id", name=op.f("uq_recon_results_run_id")),
    )
    with op.batch_alter_table("recon_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recon_results_outcome", ["run_id", "outcome", "id"], unique=False
        )
        batch_op.create_index(
            "uq_recon_results_candidate",
            ["run_id", "candidate_ref"],
            unique=True,
            sqlite_where=NOT_NULL_CANDIDATE,
            postgresql_where=NOT_NULL_CANDIDATE,
        )


def downgrade() -> None:
    with op.batch_alter_table("recon_results", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_recon_results_candidate",
            sqlite_where=NOT_NULL_CANDIDATE,
            postgresql_where=NOT_NULL_CANDIDATE,
        )
        batch_op.drop_index("ix_recon_results_outcome")
    op.drop_table("recon_results")
    op.drop_table("recon_float_checks")
    with op.batch_alter_table("recon_resolutions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_recon_resolutions_one_proposed", sqlite_where=PROPOSED, postgresql_where=PROPOSED
        )
        batch_op.drop_index(batch_op.f("ix_recon_resolutions_exception_id"))
    op.drop_table("recon_resolutions")
    with op.batch_alter_table("recon_exceptions", schema=None) as batch_op:
        batch_op.drop_index("ix_recon_exceptions_state")
        batch_op.drop_index(batch_op.f("ix_recon_exceptions_receipt"))
    op.drop_table("recon_exceptions")
    op.drop_table("recon_ledger_items")
    with op.batch_alter_table("recon_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_recon_runs_status")
    op.drop_table("recon_runs")
    op.drop_table("recon_line_conflicts")
    with op.batch_alter_table("recon_statement_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recon_statement_lines_completed_at"))
    op.drop_table("recon_statement_lines")
    op.drop_table("recon_statements")
