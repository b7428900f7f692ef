"""one four-eyes engine: decisions, k of n, expiry; resolutions and reversals decided by it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-09 10:00:00

Written by hand:
- ``approval_decisions`` (one row per decision, unique per request and decider);
- ``approval_requests``: ``approvals_needed`` and ``expires_at``, the statuses ``expired``,
  the kinds ``recon_resolution`` and ``collection_reversal``, reasons of 500 characters;
- ``recon_resolutions.approval_id`` and ``collection_reversals.approval_id`` (their status
  keeps being shown, mirrored from the request), and the status ``expired`` for both;
- every existing row moved into the family: decided requests get their decision row, each
  resolution that needed a checker and each reversal gets its request (and decision);
- the triggers of ``app/approvals/ddl.py`` in their new version (the decider is never the
  maker, k approvals, final decisions, expiry), installed after the rows moved.

SQLite rebuilds a table to change its CHECK constraints (batch mode), which drops its
triggers and partial indexes: both are taken down first and put back after. The data moves
use this file's own table shapes and expiry periods, so later code cannot change history.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

from app.approvals import ddl as approvals_ddl
from app.reconciliation import ddl as recon_ddl

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONDOC = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
EXPIRY_DAYS = {
    "product_change": 7,
    "limit_override": 3,
    "write_off": 7,
    "manual_journal": 3,
    "scorecard_activation": 14,
    "recon_resolution": 7,
    "collection_reversal": 2,
}
OLD_KINDS = ("product_change", "limit_override", "write_off", "manual_journal", "scorecard_activation")
NEW_KINDS = ("recon_resolution", "collection_reversal")
OLD_STATUSES = ("pending", "approved", "rejected", "failed", "withdrawn")
RESOLUTION_STATUSES = ("proposed", "approved", "applied", "rejected", "withdrawn", "failed")
REVERSAL_STATUSES = ("requested", "approved", "submitted", "succeeded", "failed", "rejected")
PENDING = sa.text("status = 'pending'")
PROPOSED = sa.text("status = 'proposed'")
ACTIVE_REVERSAL = sa.text("status IN ('requested', 'approved', 'submitted')")
DECISION_COMPLETE_0010 = (
    "(status = 'pending' AND checker IS NULL AND decided_at IS NULL) "
    "OR (status = 'withdrawn' AND checker IS NULL AND decided_at IS NOT NULL) "
    "OR (status IN ('approved', 'rejected', 'failed') AND checker IS NOT NULL "
    "AND decided_at IS NOT NULL)"
)
DECISION_COMPLETE = (
    "(status = 'pending' AND checker IS NULL AND decided_at IS NULL) "
    "OR (status IN ('withdrawn', 'expired') AND checker IS NULL "
    "AND decided_at IS NOT NULL) "
    "OR (status IN ('approved', 'rejected', 'failed') AND checker IS NOT NULL "
    "AND decided_at IS NOT NULL)"
)
UNKNOWN_ROLE = "unknown"
"""The role of a maker or decider the old tables did not record."""


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _utc(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


requests = sa.table(
    "approval_requests",
    sa.column("id", ID),
    sa.column("kind", sa.String),
    sa.column("subject_type", sa.String),
    sa.column("subject_id", sa.String),
    sa.column("payload", JSONDOC),
    sa.column("reason", sa.String),
    sa.column("maker", sa.String),
    sa.column("maker_role", sa.String),
    sa.column("status", sa.String),
    sa.column("approvals_needed", sa.Integer),
    sa.column("expires_at", sa.DateTime(timezone=True)),
    sa.column("checker", sa.String),
    sa.column("decision_note", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("decided_at", sa.DateTime(timezone=True)),
)
decisions = sa.table(
    "approval_decisions",
    sa.column("request_id", ID),
    sa.column("decider", sa.String),
    sa.column("decider_role", sa.String),
    sa.column("verdict", sa.String),
    sa.column("note", sa.String),
    sa.column("decided_at", sa.DateTime(timezone=True)),
)
resolutions = sa.table(
    "recon_resolutions",
    sa.column("id", ID),
    sa.column("approval_id", ID),
    sa.column("exception_id", ID),
    sa.column("action", sa.String),
    sa.column("loan_id", ID),
    sa.column("amount_minor", sa.BigInteger),
    sa.column("note", sa.String),
    sa.column("status", sa.String),
    sa.column("proposed_by", sa.String),
    sa.column("proposed_role", sa.String),
    sa.column("proposed_at", sa.DateTime(timezone=True)),
    sa.column("decided_by", sa.String),
    sa.column("decided_role", sa.String),
    sa.column("decided_at", sa.DateTime(timezone=True)),
    sa.column("outcome", sa.String),
)
reversals = sa.table(
    "collection_reversals",
    sa.column("id", ID),
    sa.column("approval_id", ID),
    sa.column("receipt", sa.String),
    sa.column("amount_minor", sa.BigInteger),
    sa.column("reason", sa.String),
    sa.column("status", sa.String),
    sa.column("requested_by", sa.String),
    sa.column("requested_at", sa.DateTime(timezone=True)),
    sa.column("approved_by", sa.String),
    sa.column("decided_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in approvals_ddl.uninstall_0010(dialect):
        op.execute(statement)
    for statement in recon_ddl.uninstall_statements(dialect):
        op.execute(statement)
    _indexes_down()
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approvals_needed", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column(
            "reason", existing_type=sa.String(length=300), type_=sa.String(length=500)
        )
        for name in ("kind_known", "status_known", "decision_complete"):
            batch_op.drop_constraint(op.f(f"ck_approval_requests_{name}"), type_="check")
    op.create_table(
        "approval_decisions",
        sa.Column("id", ID, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("decider", sa.String(length=64), nullable=False),
        sa.Column("decider_role", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "verdict IN ('approve', 'reject')", name=op.f("ck_approval_decisions_verdict_known")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_requests.id"],
            name=op.f("fk_approval_decisions_request_id_approval_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_decisions")),
        sa.UniqueConstraint(
            "request_id", "decider", name="uq_approval_decisions_one_per_decider"
        ),
    )
    for table in ("recon_resolutions", "collection_reversals"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("approval_id", ID, nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_approval_id_approval_requests"),
                "approval_requests",
                ["approval_id"],
                ["id"],
            )
            batch_op.create_unique_constraint(
                batch_op.f(f"uq_{table}_approval_id"), ["approval_id"]
            )
            batch_op.drop_constraint(op.f(f"ck_{table}_status_known"), type_="check")

    _move_rows(op.get_bind(), datetime.now(UTC))

    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.alter_column("approvals_needed", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_kind_known"), _one_of("kind", OLD_KINDS + NEW_KINDS)
        )
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_status_known"), _one_of("status", OLD_STATUSES + ("expired",)))
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_decision_complete"), DECISION_COMPLETE)
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_approvals_needed_range"), "approvals_needed BETWEEN 1 AND 20"
        )
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_expires_after_creation"), "expires_at > created_at")
        batch_op.create_index("ix_approval_requests_expiry", ["status", "expires_at"], unique=False)
    with op.batch_alter_table("recon_resolutions", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_recon_resolutions_status_known"), _one_of("status", RESOLUTION_STATUSES + ("expired",))
        )
    with op.batch_alter_table("collection_reversals", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_collection_reversals_status_known"), _one_of("status", REVERSAL_STATUSES + ("expired",))
        )
    _indexes_up()
    for statement in recon_ddl.install_statements(dialect):
        op.execute(statement)
    for statement in approvals_ddl.install_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    bind = op.get_bind()
    for statement in approvals_ddl.uninstall_statements(dialect):
        op.execute(statement)
    for statement in recon_ddl.uninstall_statements(dialect):
        op.execute(statement)
    _indexes_down()
    # What only the engine could say goes back to the nearest old word.
    bind.execute(
        resolutions.update().where(resolutions.c.status == "expired").values(status="withdrawn")
    )
    bind.execute(
        reversals.update().where(reversals.c.status == "expired").values(status="rejected")
    )
    bind.execute(
        requests.update().where(requests.c.status == "expired").values(status="withdrawn")
    )
    for table in ("recon_resolutions", "collection_reversals"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_status_known"), type_="check")
            batch_op.drop_constraint(batch_op.f(f"uq_{table}_approval_id"), type_="unique")
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_approval_id_approval_requests"), type_="foreignkey"
            )
            batch_op.drop_column("approval_id")
    op.drop_table("approval_decisions")
    bind.execute(requests.delete().where(requests.c.kind.in_(NEW_KINDS)))
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_requests_expiry")
        for name in (
            "kind_known",
            "status_known",
            "decision_complete",
            "approvals_needed_range",
            "expires_after_creation",
        ):
            batch_op.drop_constraint(op.f(f"ck_approval_requests_{name}"), type_="check")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("approvals_needed")
        batch_op.alter_column(
            "reason", existing_type=sa.String(length=500), type_=sa.String(length=300)
        )
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_kind_known"), _one_of("kind", OLD_KINDS))
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_status_known"), _one_of("status", OLD_STATUSES))
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_decision_complete"), DECISION_COMPLETE_0010)
    with op.batch_alter_table("recon_resolutions", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_recon_resolutions_status_known"), _one_of("status", RESOLUTION_STATUSES))
    with op.batch_alter_table("collection_reversals", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_collection_reversals_status_known"), _one_of("status", REVERSAL_STATUSES))
    _indexes_up()
    for statement in recon_ddl.install_statements(dialect):
        op.execute(statement)
    for statement in approvals_ddl.install_0010(dialect):
        op.execute(statement)


def _indexes_down() -> None:
    """Partial indexes, which a SQLite rebuild would lose: dropped before, created after."""
    op.drop_index("uq_approval_requests_one_pending", table_name="approval_requests")
    op.drop_index("uq_recon_resolutions_one_proposed", table_name="recon_resolutions")
    op.drop_index("uq_collection_reversals_active_receipt", table_name="collection_reversals")


def _indexes_up() -> None:
    op.create_index(
        "uq_approval_requests_one_pending",
        "approval_requests",
        ["kind", "subject_type", "subject_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(
        "uq_recon_resolutions_one_proposed",
        "recon_resolutions",
        ["exception_id"],
        unique=True,
        sqlite_where=PROPOSED,
        postgresql_where=PROPOSED,
    )
    op.create_index(
        "uq_collection_reversals_active_receipt",
        "collection_reversals",
        ["receipt"],
        unique=True,
        sqlite_where=ACTIVE_REVERSAL,
        postgresql_where=ACTIVE_REVERSAL,
    )


def _expiry(kind: str, status: str, created_at: datetime, now: datetime) -> datetime:
    """A request still pending keeps its full time from today: the deploy expires nothing."""
    period = timedelta(days=EXPIRY_DAYS[kind])
    return (max(created_at, now) if status == "pending" else created_at) + period


def _move_rows(bind: sa.Connection, now: datetime) -> None:
    for row in bind.execute(sa.select(requests)).mappings().all():
        created = _utc(row["created_at"])
        bind.execute(
            requests.update()
            .where(requests.c.id == row["id"])
            .values(
                approvals_needed=1,
                expires_at=_expiry(row["kind"], row["status"], created, now),
            )
        )
        if row["status"] in ("approved", "failed", "rejected"):
            verdict = "reject" if row["status"] == "rejected" else "approve"
            note = row["decision_note"] if verdict == "reject" else None
            # approve and reject were admins' routes before the engine took roles
            _decision(bind, row["id"], row["checker"], "admin", verdict, note, row["decided_at"])
    _move_resolutions(bind, now)
    _move_reversals(bind, now)


def _decision(
    bind: sa.Connection,
    request_id: int,
    decider: str,
    role: str | None,
    verdict: str,
    note: str | None,
    decided_at: Any,
) -> None:
    bind.execute(
        decisions.insert().values(
            request_id=request_id,
            decider=decider,
            decider_role=role or UNKNOWN_ROLE,
            verdict=verdict,
            note=(note or None) and note[:300],
            decided_at=_utc(decided_at),
        )
    )


def _request(bind: sa.Connection, now: datetime, **values: Any) -> int:
    created = _utc(values["created_at"])
    values["created_at"] = created
    values["expires_at"] = _expiry(values["kind"], values["status"], created, now)
    if values.get("decided_at") is not None:
        values["decided_at"] = _utc(values["decided_at"])
    result = bind.execute(
        requests.insert().values(approvals_needed=1, **values).returning(requests.c.id)
    )
    return int(result.scalar_one())


_RESOLUTION_TO_REQUEST = {
    "proposed": "pending",
    "approved": "approved",
    "rejected": "rejected",
    "failed": "failed",
    "withdrawn": "withdrawn",
}


def _move_resolutions(bind: sa.Connection, now: datetime) -> None:
    rows = bind.execute(
        sa.select(resolutions).where(resolutions.c.action.notin_(("explain", "auto_matched")))
    )
    for row in rows.mappings().all():
        status = _RESOLUTION_TO_REQUEST[row["status"]]
        checker = row["decided_by"] if status in ("approved", "rejected", "failed") else None
        if status in ("approved", "rejected", "failed") and checker is None:
            continue  # not a shape the engine can hold: left unlinked, as it was
        payload = {
            "exception_id": row["exception_id"],
            "action": row["action"],
            "loan_id": row["loan_id"],
            "amount_minor": row["amount_minor"],
        }
        request_id = _request(
            bind,
            now,
            kind="recon_resolution",
            subject_type="recon_exception",
            subject_id=str(row["exception_id"]),
            payload=json.loads(json.dumps(payload)),
            reason=row["note"],
            maker=row["proposed_by"],
            maker_role=row["proposed_role"],
            status=status,
            checker=checker,
            decision_note=(row["outcome"] or None) and row["outcome"][:300],
            created_at=row["proposed_at"],
            decided_at=row["decided_at"] if status != "pending" else None,
        )
        if checker is not None:
            verdict = "reject" if status == "rejected" else "approve"
            _decision(
                bind, request_id, checker, row["decided_role"], verdict, row["outcome"], row["decided_at"]
            )
        bind.execute(
            resolutions.update().where(resolutions.c.id == row["id"]).values(approval_id=request_id)
        )


def _move_reversals(bind: sa.Connection, now: datetime) -> None:
    for row in bind.execute(sa.select(reversals)).mappings().all():
        if row["status"] == "requested":
            status, checker = "pending", None
        elif row["status"] == "rejected":
            checker = row["approved_by"]  # None: withdrawn by the requester
            status = "rejected" if checker else "withdrawn"
        else:  # approved, and what followed the approval
            status, checker = "approved", row["approved_by"]
        if status != "pending" and row["decided_at"] is None:
            continue  # not a shape the engine can hold: left unlinked, as it was
        request_id = _request(
            bind,
            now,
            kind="collection_reversal",
            subject_type="receipt",
            subject_id=row["receipt"],
            payload={"receipt": row["receipt"], "amount_minor": row["amount_minor"]},
            reason=row["reason"],
            maker=row["requested_by"],
            maker_role=UNKNOWN_ROLE,
            status=status,
            checker=checker,
            created_at=row["requested_at"],
            decided_at=row["decided_at"] if status != "pending" else None,
        )
        if checker is not None:
            verdict = "reject" if status == "rejected" else "approve"
            # approving a reversal was an admin's route
            role = "admin" if verdict == "approve" else None
            _decision(bind, request_id, checker, role, verdict, None, row["decided_at"])
        bind.execute(
            reversals.update().where(reversals.c.id == row["id"]).values(approval_id=request_id)
        )
