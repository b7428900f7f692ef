"""``POST /console/staff/requests``: an admin asks for a new staff user (username, role,
reason) through the admin API's ``request_staff_user``: the engine's ``staff_creation``
request, which another admin approves in the inbox, and only then is the user created (four
eyes, above all for a new admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from app.admin import staff_request_routes as staff_api
from app.api.deps import AppClock, AppSessions
from app.console.auth import PREFIX, AdminPost
from app.console.proposal_routes import asked_notice, asking
from app.console.refusals import REFUSALS, said
from app.console.staff_routes import staff_page

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Field = Annotated[str, Form(max_length=64)]


@router.post("/staff/requests")
def request_staff_user(
    sessions: AppSessions,
    clock: AppClock,
    signed: AdminPost,
    username: Field = "",
    role: Field = "",
    reason: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    try:
        body = staff_api.StaffRequestIn.model_validate(
            {"username": username.strip(), "role": role, "reason": reason}
        )
        asked = staff_api.request_staff_user(body, asking(sessions, clock, signed))
    except REFUSALS as exc:
        return staff_page(sessions, signed, **said(exc))
    return staff_page(sessions, signed, notice=asked_notice(asked))
