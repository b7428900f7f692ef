"""``/console/staff``: who has access (admins and auditors, as ``GET /admin/v1/staff``), and
for admins: setting a staff member's console password and enrolling a new TOTP factor, the
same use cases as ``mkopo staff set-password`` / ``enroll-totp``, audited here. A new TOTP
secret is shown once, on the page that enrolled it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from app.api import params
from app.api.deps import AppClock, AppSessions
from app.audit.log import record, staff_actor
from app.console.auth import PREFIX, AdminPost, Signed, console_staff
from app.console.pages import render
from app.console.refusals import REFUSALS, refusal
from app.db.session import Sessions
from app.staff.credentials import UnknownStaffUser, enroll_totp, set_password, totp_uri
from app.staff.deps import ADMINS, field_crypto
from app.staff.models import Role, StaffUser

router = APIRouter(prefix=PREFIX, include_in_schema=False)
OverseerPage = Annotated[Signed, Depends(console_staff(Role.ADMIN, Role.AUDITOR))]
Password = Annotated[str, Form(max_length=400)]


def staff_page(sessions: Sessions, signed: Signed, status: int = 200, **shown: object) -> Response:
    with sessions.reader() as session:
        staff = list(session.scalars(select(StaffUser).order_by(StaffUser.id)))
    return render("staff.html", signed, status, staff=staff, may_set=signed.may(*ADMINS), **shown)


@router.get("/staff")
def list_staff(sessions: AppSessions, signed: OverseerPage) -> Response:
    return staff_page(sessions, signed)


def _username(sessions: Sessions, staff_id: int) -> str:
    with sessions.reader() as session:
        user = session.get(StaffUser, staff_id)
    if user is None:
        raise UnknownStaffUser(f"No staff user {staff_id}")
    return user.username


@router.post("/staff/{staff_id}/password")
def set_staff_password(
    staff_id: params.RecordId,
    sessions: AppSessions,
    clock: AppClock,
    signed: AdminPost,
    password: Password = "",
    repeated: Password = "",
) -> Response:
    try:
        username = _username(sessions, staff_id)
        if password != repeated:
            return staff_page(sessions, signed, 422, error="The two passwords differ")
        with sessions.unit_of_work() as session:
            set_password(session, username, password)
            record(
                session,
                staff_actor(signed.user),
                "staff.password_set",
                ("staff_user", staff_id),
                clock(),
            )
    except REFUSALS as exc:
        refused = refusal(exc)
        return staff_page(sessions, signed, refused.status, error=refused.message)
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
        username = _username(sessions, staff_id)
        cipher = field_crypto(request).cipher
        with sessions.unit_of_work() as session:
            secret = enroll_totp(session, cipher, username)
            record(
                session,
                staff_actor(signed.user),
                "staff.totp_enrolled",
                ("staff_user", staff_id),
                clock(),
            )
    except REFUSALS as exc:
        refused = refusal(exc)
        return staff_page(sessions, signed, refused.status, error=refused.message)
    return staff_page(
        sessions,
        signed,
        notice=f"New second factor for {username}: give them the secret below (shown once)",
        enrolled=(username, secret, totp_uri(secret, username)),
    )
