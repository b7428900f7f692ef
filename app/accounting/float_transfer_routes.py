"""``POST /admin/v1/floats/transfers``: ask to book a move of money between the M-Pesa and
Airtel floats (maker-checker, ``app.accounting.float_transfers``).

Admins only, on both sides, as for manual journals: it moves the fund's own accounts. Asking
posts nothing (the float is read, not tried), so the route is not a ``MoneyAdmin`` one.
Another admin approves it through ``/admin/v1/approvals/{id}/approve``.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from app.accounting.float_transfers import FLOAT_TRANSFER, FloatTransfer
from app.api.bodies import FREE_TEXT
from app.approvals.requests import ASKS, AdminAsks
from app.approvals.schemas import ApprovalOut
from app.staff.deps import ADMIN_PREFIX

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: float transfers"])


class FloatTransferIn(FloatTransfer):
    reason: str = Field(min_length=3, max_length=200, pattern=FREE_TEXT)


@router.post("/floats/transfers", **ASKS)
def request_float_transfer(body: FloatTransferIn, asks: AdminAsks) -> ApprovalOut:
    """From one provider's float to the other's, with the bank's reference; checked against
    the source float now and again when another admin approves."""
    return asks(FLOAT_TRANSFER, body.model_dump(mode="json", exclude={"reason"}), body.reason)
