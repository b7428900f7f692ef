"""Shapes of four-eyes requests in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.api.bodies import RowOut


class DecisionOut(RowOut):
    decider: str
    decider_role: str
    verdict: str
    note: str | None
    decided_at: datetime


class ApprovalOut(RowOut):
    id: int
    kind: str
    subject_type: str
    subject_id: str
    payload: dict[str, Any]
    reason: str
    maker: str
    maker_role: str
    status: str
    checker: str | None
    decision_note: str | None
    result: dict[str, Any] | None
    created_at: datetime
    decided_at: datetime | None
    approvals_needed: int
    """How many different deciders must approve; one rejection rejects."""
    expires_at: datetime
    """A request still pending then is closed as expired."""
    decisions: list[DecisionOut]
    """Every decider's verdict so far, in order."""


class ApprovalPage(BaseModel):
    items: list[ApprovalOut]
    next_after_id: int | None
