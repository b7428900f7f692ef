"""The exceptions queue of the callback inbox (``/admin/v1/callbacks``): callbacks a person
must look at, and sending a failed one back to the worker.

A callback that could not be read when it arrived (``malformed``: not JSON, a control
character, JSON nested too deep, no id of its kind) or could not be applied (``failed``) is
listed here with its reason and its stored body (redacted: masks and keyed hashes, never a
phone number or a name). An administrator may send a failed callback back to be processed
again (its cause fixed); a malformed one cannot be read, so it is settled by
reconciliation against the statement. Each retry is written to the audit log in the same
transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from app.api.deps import AppClock, ReadSession
from app.api.params import AfterId
from app.api.params import RecordId as Id
from app.api.problems import ProblemError
from app.audit.log import record, staff_actor
from app.mpesa.models import CallbackStatus, MpesaCallback
from app.mpesa.routes import AppSessions, Limit, Officer
from app.staff.auth import require_roles
from app.staff.models import Role, StaffUser

router = APIRouter(prefix="/admin/v1", tags=["exceptions and reversals"])

NEEDS_A_PERSON = ("malformed", "failed")
Admin = Annotated[StaffUser, Depends(require_roles(Role.ADMIN))]
"""A retry posts nothing in the request: the worker applies the provider's own report again,
through the path every callback takes."""


class CallbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    natural_key: str
    status: str
    error: str | None
    """Why it could not be read or applied (field names, never a stored value)."""
    body: str
    """As stored: the payer's number masked with its keyed hash, names hashed."""
    deliveries: int
    received_at: datetime
    processed_at: datetime | None


@router.get("/callbacks", response_model=list[CallbackOut])
def list_callbacks(
    session: ReadSession,
    _: Officer,
    status: Literal["malformed", "failed"] | None = None,
    limit: Limit = 100,
    after_id: AfterId = 0,
) -> list[MpesaCallback]:
    """Callbacks waiting for a person (malformed or failed), oldest first (page with
    ``after_id``)."""
    wanted = (status,) if status else NEEDS_A_PERSON
    return list(
        session.scalars(
            select(MpesaCallback)
            .where(MpesaCallback.status.in_(wanted), MpesaCallback.id > after_id)
            .order_by(MpesaCallback.id)
            .limit(limit)
        )
    )


@router.post("/callbacks/{callback_id}/retry", response_model=CallbackOut)
def retry_callback(
    callback_id: Id, sessions: AppSessions, clock: AppClock, user: Admin
) -> CallbackOut:
    """Send a failed callback back to the worker (it is applied once, like any other)."""
    with sessions.unit_of_work() as session:
        row = session.get(MpesaCallback, callback_id, with_for_update=True)
        if row is None:
            raise ProblemError(404, "not_found", f"No callback {callback_id}")
        if row.status != CallbackStatus.FAILED:
            raise ProblemError(
                409, "callback_not_failed", f"Only a failed callback is retried; it is {row.status}"
            )
        before = {"status": row.status, "error": row.error}
        row.status, row.error, row.processed_at = CallbackStatus.RECEIVED, None, None
        session.flush()
        answer = CallbackOut.model_validate(row)
        record(
            session,
            staff_actor(user),
            "callback.retry",
            ("mpesa_callback", row.id),
            clock(),
            before,
            {"status": row.status},
        )
        return answer
