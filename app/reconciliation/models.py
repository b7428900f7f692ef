"""Statements, their lines, and reconciliation runs with their snapshot and results.

Invariants in the database: a statement file is stored once (by its SHA-256); a statement
line is stored once per provider and ``line_key`` (receipt, role, direction), whichever file
brought it,
so overlapping statements never double a line; a run is unique by its ``run_key`` and has at
most one result per statement line; a ledger item is unique per run and (receipt, role).
Exceptions and their resolutions are in ``app.reconciliation.exceptions.models``.

The three bulk tables (lines, ledger items, results: a million rows per big statement) have
no foreign keys on their parent ids: PostgreSQL checks a foreign key with one trigger query
per inserted row, which cost more than the rows themselves (four checks were 55% of a
matching step). Their rows are written only by set-based statements that read the parents
in the same transaction, and nothing deletes a statement, a line or a run.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.reconciliation.exceptions import models as _exception_models  # noqa: F401  (FK targets)
from integrations.payments.networks import NETWORKS, Network
from ledger.sqltypes import BigIntPK, JSONDoc, UTCDateTime


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


NETWORK_KNOWN = _one_of("network", NETWORKS)
"""Whose statement it is: safaricom (M-Pesa, float 1010) or airtel (Airtel Money, 1011)."""
SAFARICOM = Network.SAFARICOM.value
CATEGORIES = ("payment_in", "payout", "reversal", "charge", "settlement", "other")
ROLES = ("main", "charge")


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUN_STATUSES = tuple(s.value for s in RunStatus)
UNFINISHED_RUN = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
FINISHED_RUN = (RunStatus.DONE.value, RunStatus.FAILED.value)
RUN_PHASES = ("snapshot", "matching", "closing", "done")
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


class Statement(Base):
    """One statement file as imported: where it came from and what its preamble said."""

    __tablename__ = "recon_statements"
    __table_args__ = (
        CheckConstraint("period_from <= period_to", name="period_ordered"),
        CheckConstraint(NETWORK_KNOWN, name="network_known"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    network: Mapped[str] = mapped_column(String(12), server_default=SAFARICOM)
    """The provider whose statement this is (its layout and its float): safaricom | airtel."""
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    """Of the file's bytes: the same file imported again is the same statement."""
    filename: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(8))
    """csv or xlsx."""
    account_holder: Mapped[str | None] = mapped_column(String(120))
    shortcode: Mapped[str | None] = mapped_column(String(20))
    account_name: Mapped[str | None] = mapped_column(String(60))
    """Utility Account, Working Account, All Accounts... as the preamble says; for Airtel,
    ``collection`` or ``disbursement`` (the export's account, told by its transaction types)."""
    period_from: Mapped[datetime] = mapped_column(UTCDateTime())
    """From the preamble's Time Period, else the earliest completion time in the file."""
    period_to: Mapped[datetime] = mapped_column(UTCDateTime())
    opening_balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    closing_balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    """The provider's balance at ``period_to``: what the float check compares."""
    lines_read: Mapped[int] = mapped_column(Integer)
    lines_new: Mapped[int] = mapped_column(Integer)
    """Lines stored by this file (not brought by an earlier, overlapping one)."""
    lines_known: Mapped[int] = mapped_column(Integer)
    lines_conflicting: Mapped[int] = mapped_column(Integer)
    """Lines whose receipt was already stored with other content (see recon_line_conflicts)."""
    paid_in_minor: Mapped[int] = mapped_column(BigInteger)
    withdrawn_minor: Mapped[int] = mapped_column(BigInteger)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StatementLine(Base):
    """One row of the provider's statement, stored once whichever file brought it."""

    __tablename__ = "recon_statement_lines"
    __table_args__ = (
        CheckConstraint(_one_of("category", CATEGORIES), name="category_known"),
        CheckConstraint(_one_of("role", ROLES), name="role_known"),
        CheckConstraint(NETWORK_KNOWN, name="network_known"),
        UniqueConstraint("network", "line_key"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    network: Mapped[str] = mapped_column(String(12), server_default=SAFARICOM)
    """The provider's statement it came from: a run reads only its own provider's lines, and
    an Airtel id equal to an M-Pesa receipt is another line."""
    line_key: Mapped[str] = mapped_column(String(40))
    """``<receipt>/<m|c>/<+|->``: receipt, main line or charge, paid in or withdrawn (unique
    per network)."""
    statement_id: Mapped[int] = mapped_column(BigInteger)
    """The statement that brought it (no foreign key: see the module's docstring)."""
    line_no: Mapped[int] = mapped_column(Integer)
    """Line (CSV) or row (XLSX) of the file that brought it, counted from 1."""
    receipt: Mapped[str] = mapped_column(String(32))
    """Found by ``line_key`` (its first part), whose unique index serves lookups by receipt."""
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    initiated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(24))
    moves_money: Mapped[bool] = mapped_column(Boolean)
    """Only a Completed line moves money."""
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    """Signed: paid in positive, withdrawn negative (whatever sign the file wrote it with)."""
    balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(String(12))
    role: Mapped[str] = mapped_column(String(8))
    reason_type: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[str | None] = mapped_column(String(200))
    """As written, with any phone number masked."""
    other_party: Mapped[str | None] = mapped_column(String(120))
    """Masked ``2547****5678 - NAME`` (a full number in the file is masked on import)."""
    linked_receipt: Mapped[str | None] = mapped_column(String(32))
    account_ref: Mapped[str | None] = mapped_column(String(64))
    """A/C No.: the BillRefNumber the payer typed, trimmed, upper-cased, no inner spaces."""
    currency: Mapped[str] = mapped_column(String(3))


class LineConflict(Base):
    """A line of a file whose receipt was already stored with another amount, time or status."""

    __tablename__ = "recon_line_conflicts"
    __table_args__ = (UniqueConstraint("statement_id", "line_no"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("recon_statements.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    line_key: Mapped[str] = mapped_column(String(40))
    line_id: Mapped[int] = mapped_column(ForeignKey("recon_statement_lines.id"))
    """The line stored first under the same key."""
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(24))


class Run(Base):
    """One reconciliation of a period: snapshot -> matching (chunks) -> closing -> done.

    Each phase step commits with the run's ``phase`` and ``cursor_line_id``, so a run that
    crashes resumes at the step it was in and reaches the same result.
    """

    __tablename__ = "recon_runs"
    __table_args__ = (
        CheckConstraint(_one_of("status", RUN_STATUSES), name="status_known"),
        CheckConstraint(_one_of("phase", RUN_PHASES), name="phase_known"),
        CheckConstraint(_one_of("kind", ("statement", "period")), name="kind_known"),
        CheckConstraint("period_from <= period_to", name="period_ordered"),
        CheckConstraint(NETWORK_KNOWN, name="network_known"),
        Index("ix_recon_runs_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    network: Mapped[str] = mapped_column(String(12), server_default=SAFARICOM)
    """Whose lines it reads and whose float (``float_of``) it checks: its statement's."""
    run_key: Mapped[str] = mapped_column(String(120), unique=True)
    """``statement:<sha256>`` or ``period:<from>:<to>[:<n>]``: asking again returns this run."""
    kind: Mapped[str] = mapped_column(String(10))
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("recon_statements.id"))
    period_from: Mapped[datetime] = mapped_column(UTCDateTime())
    period_to: Mapped[datetime] = mapped_column(UTCDateTime())
    rules: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """The matching rules used (``MatchRules.as_dict``)."""
    status: Mapped[str] = mapped_column(String(8))
    phase: Mapped[str] = mapped_column(String(10))
    cursor_line_id: Mapped[int] = mapped_column(BigInteger, default=0)
    """Statement lines up to this id have their result."""
    lines_total: Mapped[int] = mapped_column(Integer, default=0)
    lines_done: Mapped[int] = mapped_column(Integer, default=0)
    items_total: Mapped[int] = mapped_column(Integer, default=0)
    """Receipts with float movements in the ledger snapshot."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Steps that failed with an error (bounded: the run fails after a few)."""
    error: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    """Counts and totals per outcome, exceptions by state, the float check: set when done."""
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LedgerItem(Base):
    """The ledger's float movements for one receipt, as the run's snapshot saw them."""

    __tablename__ = "recon_ledger_items"
    __table_args__ = (UniqueConstraint("run_id", "receipt", "role"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    run_id: Mapped[int] = mapped_column(BigInteger)
    receipt: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(8))
    net_minor: Mapped[int] = mapped_column(BigInteger)
    """Debits minus credits on the float account (money in positive)."""
    in_count: Mapped[int] = mapped_column(Integer)
    """Entries that brought money in for this receipt (2 or more: a possible double count)."""
    out_count: Mapped[int] = mapped_column(Integer)
    first_entry_id: Mapped[int] = mapped_column(BigInteger)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(12))
    """repayment, suspense, payout, reversal, adjustment or other."""
    loan_id: Mapped[int | None] = mapped_column(BigInteger)
    suspense_open: Mapped[bool] = mapped_column(Boolean)
    """The receipt is an unmatched payment still waiting in suspense."""


class Result(Base):
    """What a run concluded about one statement line, or about a ledger-only receipt."""

    __tablename__ = "recon_results"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", OUTCOMES), name="outcome_known"),
        UniqueConstraint("run_id", "line_id"),
        Index("ix_recon_results_outcome", "run_id", "outcome", "id"),
        Index(
            "uq_recon_results_candidate",
            "run_id",
            "candidate_ref",
            unique=True,
            sqlite_where=text("candidate_ref IS NOT NULL"),
            postgresql_where=text("candidate_ref IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    run_id: Mapped[int] = mapped_column(BigInteger)
    line_id: Mapped[int | None] = mapped_column(BigInteger)
    """None for a receipt only the ledger has (missing at provider)."""
    item_id: Mapped[int | None] = mapped_column(BigInteger)
    receipt: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(24))
    """How it was decided: receipt, receipt_group, amount_time_phone, pending_payout,
    pending_stk, ledger_only, statement_conflict."""
    statement_minor: Mapped[int | None] = mapped_column(BigInteger)
    ledger_minor: Mapped[int | None] = mapped_column(BigInteger)
    difference_minor: Mapped[int] = mapped_column(BigInteger)
    """Statement minus ledger: what this finding does to the float."""
    candidate_ref: Mapped[str | None] = mapped_column(String(40))
    """A rule's match without a receipt: ``payout:<id>`` or ``stk:<id>`` (claimed once)."""
    exception_id: Mapped[int | None] = mapped_column(ForeignKey("recon_exceptions.id"))
