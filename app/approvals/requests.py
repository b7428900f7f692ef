"""Asking for a four-eyes change from a staff route: one transaction, 201 or a 200 replay."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from app.approvals.engine import Ask, submit
from app.approvals.schemas import ApprovalOut
from app.audit.log import staff_actor
from app.clock import Clock
from app.db.session import Sessions
from app.staff.models import StaffUser
from ledger import Ledger

REPLAY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same request, replayed with its Idempotency-Key"}
}


def request_approval(
    sessions: Sessions, clock: Clock, user: StaffUser, ask: Ask, response: Response
) -> ApprovalOut:
    """Submit a maker-checker request in its own transaction. 201 for a new request; 200 for
    the same request replayed with its Idempotency-Key."""
    with sessions.unit_of_work() as session:
        submitted = submit(session, Ledger(session, clock), ask, staff_actor(user), clock())
        response.status_code = 201 if submitted.created else 200
        return ApprovalOut.model_validate(submitted.approval)
