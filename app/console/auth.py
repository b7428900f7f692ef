"""Who may open a console page: the session cookie, the same roles as the admin API
(``app.staff.deps``) and, on every POST, the session's CSRF token.

``console_staff(*roles)`` mirrors ``app.staff.auth.require_roles``: it admits a signed-in
user of one of ``roles``, stamps the request's ledger gate (``moves_money`` only for
operations roles) and carries ``allowed_roles``, so the authorization-matrix test derives
each console route's audience exactly as it does for the API. Without a live session the
answer is a redirect to the sign-in page (``SignInRequired``); with the wrong role, 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from app.api.deps import AppClock, AppSessions, AppSettings
from app.console.sessions import Lifetimes, resume
from app.db.ledger_gate import declare_staff_route
from app.settings import Settings
from app.staff.deps import ADMINS, BOOK_READERS, MAKERS, READERS
from app.staff.models import OPERATIONS_ROLES, Role, StaffUser

PREFIX = "/console"
COOKIE = "mkopo_console"
SIGN_IN_COOKIE = "mkopo_console_sign_in"
"""A random value also put in the sign-in form (double submit): the sign-in's CSRF check."""
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
"""The token may come as this header instead of the form field (scripts, tests)."""


class SignInRequired(Exception):
    """No live console session: the browser is sent to the sign-in page."""


class ConsoleForbidden(Exception):
    """Signed in, but the role may not open this page (or a POST lacked its CSRF token)."""

    def __init__(self, detail: str, signed: Signed | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.signed = signed


@dataclass(frozen=True, slots=True)
class Signed:
    """The signed-in staff member of this request and their session's CSRF token."""

    user: StaffUser
    csrf_token: str

    def may(self, *roles: Role) -> bool:
        return self.user.role in {r.value for r in roles}


def lifetimes(settings: Settings) -> Lifetimes:
    return Lifetimes(
        idle=timedelta(seconds=settings.console_idle_timeout_s),
        absolute=timedelta(seconds=settings.console_session_lifetime_s),
    )


def console_staff(*roles: Role, moves_money: bool = False) -> Callable[..., Signed]:
    allowed = {r.value for r in roles}
    if moves_money and not set(roles) <= OPERATIONS_ROLES:
        raise ValueError(
            f"a route that moves money cannot admit {sorted(set(roles) - OPERATIONS_ROLES)}"
        )

    def dependency(
        request: Request, sessions: AppSessions, clock: AppClock, settings: AppSettings
    ) -> Signed:
        token = request.cookies.get(COOKIE)
        if not token:
            raise SignInRequired
        with sessions.unit_of_work() as session:
            found = resume(session, token, clock(), lifetimes(settings))
        if found is None:
            raise SignInRequired
        row, user = found
        signed = Signed(user, row.csrf_token)
        if user.role not in allowed:
            raise ConsoleForbidden(f"Your role ({user.role}) may not open this page", signed)
        declare_staff_route(moves_money)
        return signed

    dependency.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
    dependency.moves_money = moves_money  # type: ignore[attr-defined]
    return dependency


def console_poster(*roles: Role, moves_money: bool = False) -> Callable[..., Awaitable[Signed]]:
    """``console_staff`` for a POST: the form (or the ``X-CSRF-Token`` header) must carry the
    session's CSRF token (403)."""
    staff = console_staff(*roles, moves_money=moves_money)

    # The dependency as a default value: annotations are strings here, and FastAPI could not
    # resolve one naming ``staff``, a local of this function.
    async def dependency(request: Request, signed: Signed = Depends(staff)) -> Signed:  # noqa: B008
        sent: object = request.headers.get(CSRF_HEADER)
        if sent is None:
            sent = (await request.form()).get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, signed.csrf_token):
            raise ConsoleForbidden("The form was stale or not from this console: try again", signed)
        return signed

    return dependency


ReaderPage = Annotated[Signed, Depends(console_staff(*READERS))]
BookReaderPage = Annotated[Signed, Depends(console_staff(*BOOK_READERS))]
ReaderPost = Annotated[Signed, Depends(console_poster(*READERS))]
MakerPost = Annotated[Signed, Depends(console_poster(*MAKERS))]
AdminPost = Annotated[Signed, Depends(console_poster(*ADMINS))]
MoneyAdminPost = Annotated[Signed, Depends(console_poster(*ADMINS, moves_money=True))]
