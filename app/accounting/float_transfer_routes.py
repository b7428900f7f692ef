"""``POST /admin/v1/floats/transfers``: ask to book a move of money between the M-Pesa and
Airtel floats (maker-checker, ``app.accounting.float_transfers``).

Admins only, on both sides, as for manual journals: it moves the fund's own accounts. Asking
posts nothing (the float is read, not tried), so the route is not a ``MoneyAdmin`` one.
Another admin approves it through ``/admin/v1/approvals/{id}/approve``.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import Field

from app.accounting.float_transfers import FLOAT_TRANSFER, FloatTransfer
from app.api.bodies import FREE_TEXT
from app.api.deps import AppClock, AppSessions
from app.approvals.engine import Ask
from app.approvals.requests import REPLAY_RESPONSES, request_approval
from app.approvals.schemas import ApprovalOut
from app.staff.deps import ADMIN_PREFIX, Admin, IdempotencyKey

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: float transfers"])


class FloatTransferIn(FloatTransfer):
    reason: str = Field(min_length=3, max_length=200, pattern=FREE_TEXT)


@router.post(
    "/floats/transfers",
    response_model=ApprovalOut,
    status_code=201,
    responses=REPLAY_RESPONSES,
)
def request_float_transfer(
    body: FloatTransferIn,
    sessions: AppSessions,
    clock: AppClock,
    user: Admin,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApprovalOut:
    """From one provider's float to the other's, with the bank's reference; checked against
    the source float now and again when another admin approves."""
    asked = body.model_dump(mode="json", exclude={"reason"})
    return request_approval(
        sessions, clock, user, Ask(FLOAT_TRANSFER, asked, body.reason, idempotency_key), response
    )
