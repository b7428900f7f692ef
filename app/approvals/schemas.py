"""Shapes of four-eyes requests in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.api.bodies import RowOut


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


class ApprovalPage(BaseModel):
    items: list[ApprovalOut]
    next_after_id: int | None
