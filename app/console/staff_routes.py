"""``/console/staff``: who has access (admins and auditors, as ``GET /admin/v1/staff``), and
for admins: setting a staff member's console password and enrolling a new TOTP factor, the
same use cases as ``mkopo staff set-password`` / ``enroll-totp``, audited here. A new TOTP
secret is shown once, on the page that enrolled it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api import params
from app.api.deps import AppClock, AppSessions
from app.audit.log import record, staff_actor
from app.clock import Clock
from app.console.auth import PREFIX, AdminPost, Signed, console_staff
from app.console.pages import render
from app.console.refusals import REFUSALS, said
from app.db.session import Sessions
from app.staff.credentials import UnknownStaffUser, enroll_totp, set_password, totp_uri
from app.staff.deps import ADMINS, field_crypto
from app.staff.models import Role, StaffUser

router = APIRouter(prefix=PREFIX, include_in_schema=False)
OverseerPage = Annotated[Signed, Depends(console_staff(Role.ADMIN, Role.AUDITOR))]
Password = Annotated[str, Form(max_length=400)]
T = TypeVar("T")


def staff_page(sessions: Sessions, signed: Signed, status: int = 200, **shown: Any) -> Response:
    with sessions.reader() as session:
        staff = list(session.scalars(select(StaffUser).order_by(StaffUser.id)))
    roles = [r.value for r in Role]
    may_set = signed.may(*ADMINS)
    return render("staff.html", signed, status, staff=staff, may_set=may_set, roles=roles, **shown)


@router.get("/staff")
def list_staff(sessions: AppSessions, signed: OverseerPage) -> Response:
    return staff_page(sessions, signed)


def _audited(
    sessions: Sessions,
    clock: Clock,
    signed: Signed,
    staff_id: int,
    change: tuple[str, Callable[[Session, str], T]],
) -> tuple[str, T]:
    """Apply ``change`` (an audit action, a use case) to the staff user, audited as the
    signed-in admin; their username and what the use case returned."""
    action, use_case = change
    with sessions.unit_of_work() as session:
        user = session.get(StaffUser, staff_id)
        if user is None:
            raise UnknownStaffUser(f"No staff user {staff_id}")
        done = use_case(session, user.username)
        record(session, staff_actor(signed.user), action, ("staff_user", staff_id), clock())
        return user.username, done


@router.post("/staff/{staff_id}/password")
def set_staff_password(
    staff_id: params.RecordId,
    sessions: AppSessions,
    clock: AppClock,
    signed: AdminPost,
    password: Password = "",
    repeated: Password = "",
) -> Response:
    if password != repeated:
        return staff_page(sessions, signed, 422, error="The two passwords differ")
    try:
        username, _ = _audited(
            sessions,
            clock,
            signed,
            staff_id,
            ("staff.password_set", lambda session, name: set_password(session, name, password)),
        )
    except REFUSALS as exc:
        return staff_page(sessions, signed, **said(exc))
    return staff_page(sessions, signed, notice=f"Password set for {username}")


@router.post("/staff/{staff_id}/totp")
def enroll_staff_totp(
    staff_id: params.RecordId,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: AdminPost,
) -> Response:
    try:
        cipher = field_crypto(request).cipher
        username, secret = _audited(
            sessions,
            clock,
            signed,
            staff_id,
            ("staff.totp_enrolled", lambda session, name: enroll_totp(session, cipher, name)),
        )
    except REFUSALS as exc:
        return staff_page(sessions, signed, **said(exc))
    return staff_page(
        sessions,
        signed,
        notice=f"New second factor for {username}: give them the secret below (shown once)",
        enrolled=(username, secret, totp_uri(secret, username)),
    )
