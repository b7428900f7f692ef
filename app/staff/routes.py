"""``GET /admin/v1/staff``: who has access, in which role (never their tokens)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from app.api import params
from app.api.deps import ReadSession
from app.staff.auth import require_roles
from app.staff.deps import ADMIN_PREFIX
from app.staff.models import Role, StaffUser
from app.staff.schemas import StaffOut

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: staff"])
MAX_PAGE = 200
Overseer = Annotated[StaffUser, Depends(require_roles(Role.ADMIN, Role.AUDITOR))]


@router.get("/staff", response_model=list[StaffOut])
def list_staff(
    session: ReadSession,
    _: Overseer,
    after_id: params.AfterId = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> list[StaffUser]:
    """Staff users by id (page with ``after_id``); disabled users included."""
    return list(
        session.scalars(
            select(StaffUser).where(StaffUser.id > after_id).order_by(StaffUser.id).limit(limit)
        )
    )
