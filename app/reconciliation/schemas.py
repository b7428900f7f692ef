"""Request and response bodies of the reconciliation API (amounts in cents)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.reconciliation.exceptions.models import ReconException, Resolution
from app.reconciliation.exceptions.resolutions import ALLOWED
from app.reconciliation.models import Run, Statement

Action = Literal[
    "explain",
    "post_callback",
    "assign_to_loan",
    "post_to_suspense",
    "book_charge",
    "book_settlement",
    "record_payout",
    "fail_payout",
    "write_off",
]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class StatementOut(_Out):
    id: int
    filename: str
    file_format: str
    account_holder: str | None
    shortcode: str | None
    account_name: str | None
    period_from: datetime
    period_to: datetime
    opening_balance_minor: int | None
    closing_balance_minor: int | None
    lines_read: int
    lines_new: int
    """Stored by this file (not brought already by an overlapping one)."""
    lines_known: int
    lines_conflicting: int
    paid_in_minor: int
    withdrawn_minor: int
    imported_at: datetime


class RunOut(_Out):
    id: int
    kind: str
    statement: StatementOut | None = None
    period_from: datetime
    period_to: datetime
    rules: dict[str, Any]
    status: str
    """queued, running, done or failed."""
    phase: str
    lines_total: int
    lines_done: int
    """Progress: statement lines decided so far."""
    items_total: int
    error: str | None
    summary: dict[str, Any] | None
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def of(run: Run, statement: Statement | None) -> RunOut:
        out = RunOut.model_validate(run)
        out.statement = None if statement is None else StatementOut.model_validate(statement)
        return out


class ResultOut(_Out):
    id: int
    line_id: int | None
    line_no: int | None = None
    completed_at: datetime | None = None
    category: str | None = None
    receipt: str
    role: str
    outcome: str
    rule: str
    statement_minor: int | None
    ledger_minor: int | None
    difference_minor: int
    candidate_ref: str | None
    exception_id: int | None


class ResolutionOut(_Out):
    id: int
    exception_id: int
    approval_id: int | None
    """Its four-eyes request (decisions, expiry); None for an explanation."""
    action: str
    loan_id: int | None
    amount_minor: int | None
    note: str
    status: str
    proposed_by: str
    proposed_role: str
    proposed_at: datetime
    decided_by: str | None
    decided_role: str | None
    decided_at: datetime | None
    entry_id: int | None
    outcome: str | None


class ExceptionOut(_Out):
    id: int
    kind: str
    state: str
    receipt: str | None
    role: str | None
    line_id: int | None
    payout_id: int | None
    first_run_id: int | None
    statement_minor: int | None
    ledger_minor: int | None
    difference_minor: int
    """Statement minus ledger when found: what resolving it does to the float."""
    suggested_action: str | None
    suggested_loan_id: int | None
    candidate_ref: str | None
    detail: str
    note: str | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    allowed_actions: list[str] = []

    @staticmethod
    def of(exception: ReconException) -> ExceptionOut:
        out = ExceptionOut.model_validate(exception)
        out.allowed_actions = list(ALLOWED.get(exception.kind, ()))
        return out


class ExceptionDetailOut(ExceptionOut):
    resolutions: list[ResolutionOut] = []

    @staticmethod
    def with_resolutions(
        exception: ReconException, resolutions: list[Resolution]
    ) -> ExceptionDetailOut:
        out = ExceptionDetailOut.model_validate(exception)
        out.allowed_actions = list(ALLOWED.get(exception.kind, ()))
        out.resolutions = [ResolutionOut.model_validate(r) for r in resolutions]
        return out


class FloatCheckOut(_Out):
    id: int
    source: str
    source_ref: str
    run_id: int | None
    as_of: datetime
    provider_minor: int
    ledger_minor: int
    difference_minor: int
    explained_minor: int | None
    checked_at: datetime


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=3, max_length=500)


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action
    note: str = Field(min_length=3, max_length=500)
    loan_id: int | None = Field(None, ge=1, le=2**62)
    """The loan to assign the payment to (assign_to_loan only)."""
