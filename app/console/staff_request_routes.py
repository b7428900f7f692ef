"""``POST /console/staff/requests``: an admin asks for a new staff user (username, role,
reason); the engine's ``staff_creation`` request (``app.admin.staff_requests``), which
another admin approves in the inbox, and only then is the user created (four eyes, above
all for a new admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from app.admin.staff_requests import STAFF_CREATION
from app.api.bodies import ReasonIn
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
        body = ReasonIn(reason=reason)
        parts = {"username": username.strip(), "role": role}
        asked = asking(sessions, clock, signed)(STAFF_CREATION, parts, body.reason)
    except REFUSALS as exc:
        return staff_page(sessions, signed, **said(exc))
    return staff_page(sessions, signed, notice=asked_notice(asked))
