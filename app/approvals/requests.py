"""Pieces every admin route module uses: sessions, path ids, page sizes, the answer to a
maker-checker request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Query, Response

from app.admin.schemas import ApprovalOut
from app.api import params
from app.api.deps import get_sessions
from app.approvals.engine import ApprovalHandler, submit
from app.audit.log import staff_actor
from app.clock import Clock
from app.db.session import Sessions
from app.staff.models import StaffUser
from ledger import Ledger

PREFIX = "/admin/v1"
"""On each area's router, not only the gathering one: the route's own path is what logs and
metrics label requests with."""
AppSessions = Annotated[Sessions, Depends(get_sessions)]
Id = params.RecordId
AfterId = params.AfterId
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
"""Free text in a query: no control characters (PostgreSQL text cannot hold NUL)."""
Filter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)]


REPLAY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same request, replayed with its Idempotency-Key"}
}


def request_approval(
    sessions: Sessions,
    clock: Clock,
    user: StaffUser,
    handler: ApprovalHandler,
    asked: Mapping[str, Any],
    reason: str,
    idempotency_key: str | None,
    response: Response,
) -> ApprovalOut:
    """Submit a maker-checker request in its own transaction. 201 for a new request; 200 for
    the same request replayed with its Idempotency-Key."""
    with sessions.unit_of_work() as session:
        submitted = submit(
            session,
            Ledger(session, clock),
            handler,
            asked,
            reason,
            staff_actor(user),
            clock(),
            idempotency_key,
        )
        response.status_code = 201 if submitted.created else 200
        return ApprovalOut.model_validate(submitted.approval)
