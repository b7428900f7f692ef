"""Shapes of staff accounts in the API (never their tokens)."""

from __future__ import annotations

from datetime import datetime

from app.api.bodies import RowOut


class StaffOut(RowOut):
    id: int
    username: str
    role: str
    created_at: datetime
    disabled_at: datetime | None
