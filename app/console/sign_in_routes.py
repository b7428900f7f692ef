"""``/console/sign-in`` and ``/console/sign-out``; ``/console`` sends each role to its first
page; ``/console/static/...`` serves the console's own script and style sheet."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.api.deps import AppClock, AppSessions, AppSettings
from app.audit.log import record, staff_actor
from app.console.auth import (
    COOKIE,
    CSRF_FIELD,
    PREFIX,
    SIGN_IN_COOKIE,
    ConsoleForbidden,
    ReaderPage,
    ReaderPost,
    lifetimes,
)
from app.console.pages import STATIC, render
from app.console.refusals import REFUSALS, refusal
from app.console.sessions import end, start
from app.settings import Settings
from app.staff.credentials import REFUSED, Lockout, SignIn, authenticate
from app.staff.deps import BOOK_READERS, field_crypto

router = APIRouter(prefix=PREFIX, include_in_schema=False)
STATIC_FILES = {"console.js": "text/javascript", "console.css": "text/css"}
FormText = Annotated[str, Form(max_length=200)]


def _cookie(response: Response, settings: Settings, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        secure=settings.console_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def _sign_in_page(settings: Settings, status: int = 200, error: str | None = None) -> Response:
    token = secrets.token_urlsafe(32)
    response = render("sign_in.html", None, status, sign_in_token=token, error=error)
    _cookie(response, settings, SIGN_IN_COOKIE, token, settings.console_idle_timeout_s)
    return response


@router.get("/sign-in")
def sign_in_form(settings: AppSettings) -> Response:
    return _sign_in_page(settings)


@router.post("/sign-in")
def sign_in(
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    settings: AppSettings,
    username: FormText = "",
    password: FormText = "",
    code: FormText = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> Response:
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise ConsoleForbidden("The sign-in form was stale: try again")
    try:
        cipher = field_crypto(request).cipher
    except REFUSALS as exc:
        return _sign_in_page(settings, 503, refusal(exc).message)
    now = clock()
    lockout = Lockout(duration=timedelta(seconds=settings.console_lockout_s))
    with sessions.unit_of_work() as session:
        user = authenticate(session, cipher, SignIn(username, password, code.strip()), now, lockout)
        started = None
        if user is not None:
            end(session, request.cookies.get(COOKIE, ""))  # a browser has one session at most
            started = start(session, user, now, lifetimes(settings))
            record(session, staff_actor(user), "console.sign_in", ("staff_user", user.id), now)
    if started is None:
        return _sign_in_page(settings, 401, REFUSED)
    response = RedirectResponse(PREFIX + "/", status_code=303)
    _cookie(response, settings, COOKIE, started.token, settings.console_session_lifetime_s)
    response.delete_cookie(SIGN_IN_COOKIE, path=PREFIX)
    return response


@router.post("/sign-out")
def sign_out(
    request: Request, sessions: AppSessions, clock: AppClock, signed: ReaderPost
) -> Response:
    with sessions.unit_of_work() as session:
        end(session, request.cookies.get(COOKIE, ""))
        subject = ("staff_user", signed.user.id)
        record(session, staff_actor(signed.user), "console.sign_out", subject, clock())
    response = RedirectResponse(PREFIX + "/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


@router.get("/")
def home(signed: ReaderPage) -> Response:
    first = "/dashboard" if signed.may(*BOOK_READERS) else "/borrowers"
    return RedirectResponse(PREFIX + first, status_code=303)


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response((STATIC / name).read_bytes(), media_type=media_type)
