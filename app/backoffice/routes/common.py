"""Pieces every admin route module uses: sessions, path ids, page sizes, the answer to a
maker-checker request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Response

from app.api.deps import get_sessions
from app.backoffice.approvals import Submitted
from app.backoffice.schemas import ApprovalOut
from app.db.session import Sessions

PREFIX = "/admin/v1"
"""On each area's router, not only the gathering one: the route's own path is what logs and
metrics label requests with."""
AppSessions = Annotated[Sessions, Depends(get_sessions)]
Id = Annotated[int, Path(ge=1, le=2**62)]
AfterId = Annotated[int, Query(ge=0, le=2**62, description="Last id of the previous page")]
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
"""Free text in a query: no control characters (PostgreSQL text cannot hold NUL)."""
Filter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)]


def answer_submitted(response: Response, submitted: Submitted) -> ApprovalOut:
    """201 for a new request; 200 for the same request replayed with its Idempotency-Key."""
    response.status_code = 201 if submitted.created else 200
    return ApprovalOut.model_validate(submitted.approval)
