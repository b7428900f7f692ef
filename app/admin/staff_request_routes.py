"""``POST /admin/v1/staff/requests``: an admin asks for a new staff user (username, role);
another admin approves it through ``/admin/v1/approvals/{id}/approve`` and only then is the
user created (``app.admin.staff_requests``). The console's staff page asks through this
function."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from app.admin.staff_requests import STAFF_CREATION
from app.api.bodies import ReasonIn
from app.approvals.requests import ASKS, AdminAsks
from app.approvals.schemas import ApprovalOut
from app.staff.deps import ADMIN_PREFIX
from app.staff.models import Role

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: staff"])


class StaffRequestIn(ReasonIn):
    username: str = Field(min_length=2, max_length=64)
    role: Role


@router.post("/staff/requests", **ASKS)
def request_staff_user(body: StaffRequestIn, asks: AdminAsks) -> ApprovalOut:
    """Ask for a staff user; the username is checked now and again at approval."""
    return asks(STAFF_CREATION, {"username": body.username, "role": body.role.value}, body.reason)
