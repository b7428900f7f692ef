"""Exceptions (what did not reconcile), their resolutions, and float checks.

Invariants in the database: one exception per natural key (a receipt and what is wrong with
it), so runs over overlapping periods never open it twice; a resolution that moves money is
decided by someone other than who proposed it (``four_eyes`` here, and the decisions of its
four-eyes request in ``approval_decisions``) and only an explanation or the system's own
"matched later" may apply without a second person; at most one proposal waits
per exception; a float check is recorded once per source.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, UTCDateTime

EXCEPTION_KINDS = (
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


class ExceptionState(enum.StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    WRITTEN_OFF = "written_off"


class ResolutionStatus(enum.StrEnum):
    """Mirrors the resolution's four-eyes request (``approval_id``) while it is decided."""

    PROPOSED = "proposed"
    """Its request is pending."""
    APPROVED = "approved"
    APPLIED = "applied"
    """Applied single-handed: an explanation, or the system's "matched later"."""
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    FAILED = "failed"
    EXPIRED = "expired"
    """Nobody decided it in time (``RESOLUTION_EXPIRY``): propose again if it stands."""


EXCEPTION_STATES = tuple(s.value for s in ExceptionState)
RESOLUTION_STATUSES = tuple(s.value for s in ResolutionStatus)
SINGLE_HANDED_ACTIONS = ("explain", "auto_matched")
"""Actions that move no money: applied by one person (or the system) without a checker."""


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ReconException(Base):
    """Something the statement and the ledger disagree on, until someone resolves it."""

    __tablename__ = "recon_exceptions"
    __table_args__ = (
        CheckConstraint(_one_of("kind", EXCEPTION_KINDS), name="kind_known"),
        CheckConstraint(_one_of("state", EXCEPTION_STATES), name="state_known"),
        CheckConstraint(
            "(state IN ('open', 'investigating')) = (closed_at IS NULL)", name="closed_when_final"
        ),
        Index("ix_recon_exceptions_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    natural_key: Mapped[str] = mapped_column(String(80), unique=True)
    """``<kind>:<receipt>/<role>``, ``conflict:<id>``, ``payout:<id>``, ``float:<source>``."""
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(14))
    """An ``ExceptionState``."""
    receipt: Mapped[str | None] = mapped_column(String(32), index=True)
    role: Mapped[str | None] = mapped_column(String(8))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("recon_statement_lines.id"))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("recon_runs.id"))
    """The run that found it (None when the pending-payout sweep did)."""
    statement_minor: Mapped[int | None] = mapped_column(BigInteger)
    ledger_minor: Mapped[int | None] = mapped_column(BigInteger)
    difference_minor: Mapped[int] = mapped_column(BigInteger)
    """Statement minus ledger when it was found: what resolving it does to the float."""
    suggested_action: Mapped[str | None] = mapped_column(String(20))
    suggested_loan_id: Mapped[int | None] = mapped_column(BigInteger)
    candidate_ref: Mapped[str | None] = mapped_column(String(40))
    """A payout or STK prompt a rule tied it to (``payout:<id>``, ``stk:<id>``)."""
    detail: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(String(500))
    """The latest note of whoever investigates it."""
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Resolution(Base):
    """A proposed way to close an exception; money moves only once another person approves."""

    __tablename__ = "recon_resolutions"
    __table_args__ = (
        CheckConstraint(_one_of("status", RESOLUTION_STATUSES), name="status_known"),
        CheckConstraint("decided_by IS NULL OR decided_by <> proposed_by", name="four_eyes"),
        CheckConstraint(
            "status <> 'approved' OR (decided_by IS NOT NULL AND decided_at IS NOT NULL)",
            name="approved_by_checker",
        ),
        CheckConstraint(
            f"status <> 'applied' OR {_one_of('action', SINGLE_HANDED_ACTIONS)}",
            name="single_handed_moves_no_money",
        ),
        Index(
            "uq_recon_resolutions_one_proposed",
            "exception_id",
            unique=True,
            sqlite_where=text("status = 'proposed'"),
            postgresql_where=text("status = 'proposed'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    exception_id: Mapped[int] = mapped_column(ForeignKey("recon_exceptions.id"), index=True)
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approval_requests.id"), unique=True)
    """Its four-eyes request (``app.approvals``), which holds the decisions; None for what
    applies single-handed (``SINGLE_HANDED_ACTIONS``)."""
    action: Mapped[str] = mapped_column(String(20))
    loan_id: Mapped[int | None] = mapped_column(BigInteger)
    """The loan a payment is assigned to (assign_to_loan)."""
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    """What the action will move, as the proposer saw it."""
    note: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10))
    """A ``ResolutionStatus``, mirrored from the request in the same transaction."""
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_role: Mapped[str] = mapped_column(String(16))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    """The checker who approved or rejected it (never the proposer)."""
    decided_role: Mapped[str | None] = mapped_column(String(16))
    """The checker's role: an operations role for every approval since migration 0014."""
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    request_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    """The proposer's ``Idempotency-Key``: a retried proposal returns the first."""
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    """The ledger entry the approval posted (the last one when it posted several)."""
    outcome: Mapped[str | None] = mapped_column(String(300))
    """What the approval did, or why it failed (nothing was applied then)."""


class FloatCheck(Base):
    """The provider's balance against the ledger's float account at one moment."""

    __tablename__ = "recon_float_checks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    """statement (closing balance), org_balance (a C2B confirmation), balance_api."""
    source_ref: Mapped[str] = mapped_column(String(80), unique=True)
    """``statement:<id>`` or ``callback:<id>``: each source is checked once."""
    run_id: Mapped[int | None] = mapped_column(ForeignKey("recon_runs.id"))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    provider_minor: Mapped[int] = mapped_column(BigInteger)
    ledger_minor: Mapped[int] = mapped_column(BigInteger)
    """Posted balance of the float account (1010) as of ``as_of`` (value dates)."""
    difference_minor: Mapped[int] = mapped_column(BigInteger)
    """Provider minus ledger."""
    explained_minor: Mapped[int | None] = mapped_column(BigInteger)
    """Of the difference, what the run's findings and the opening difference account for."""
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
