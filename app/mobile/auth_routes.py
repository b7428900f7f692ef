"""Signing in with phone and PIN, refreshing tokens, signing out.

A sign-in is charged to the PIN-guess limits (per phone, per client IP) before the PIN is
checked and forgiven when it is right, so only wrong PINs count. An unknown number and a
wrong PIN get the same 401, after the same KDF work, so sign-in does not reveal who is a
borrower; the account's own lock (five wrong PINs, 24 hours) answers 423.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request, Response

from app.api.deps import AppClock
from app.borrowers.errors import WrongPin
from app.borrowers.pin_checks import check_pin
from app.borrowers.service import find_by_phone
from app.mobile import errors
from app.mobile.auth import CurrentBorrower
from app.mobile.deps import AppSessions, BoundedBodyRoute
from app.mobile.limits import (
    PIN_GUESSES_PER_IP,
    PIN_GUESSES_PER_PHONE,
    client_ip,
    enforce,
    ip_subject,
    phone_subject,
)
from app.mobile.ports import AppPins, AppPorts
from app.mobile.schemas import LoginIn, RefreshIn, TokensOut
from app.mobile.tokens import end_session, refresh_session, start_session
from app.security.pins import PinHasher
from app.security.rate_limits import forgive
from integrations.phone import InvalidMsisdn, normalise_msisdn

router = APIRouter(route_class=BoundedBodyRoute, tags=["app: sign-in"])
_WRONG = "Wrong phone number or PIN"


@lru_cache(maxsize=4)  # one hasher per process (a few in tests)
def _decoy_pin_hash(pins: PinHasher) -> str:
    """A hash to check unknown numbers against, so they cost the same time as real ones."""
    return pins.hash_pin("0000")


@router.post(
    "/auth/login",
    summary="Sign in with phone number and PIN",
    responses={
        401: {"description": "Wrong phone number or PIN"},
        423: {"description": "PIN locked after repeated wrong PINs"},
        429: {"description": "Too many wrong PINs for this number or address"},
    },
)
def login(
    body: LoginIn,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    ports: AppPorts,
    pins: AppPins,
) -> TokensOut:
    try:
        msisdn = normalise_msisdn(body.phone)
    except InvalidMsisdn:
        raise errors.InvalidCredentials(_WRONG) from None
    hits = enforce(
        sessions,
        [
            (PIN_GUESSES_PER_PHONE, phone_subject(ports.blind_index, msisdn)),
            (PIN_GUESSES_PER_IP, ip_subject(ports.blind_index, client_ip(request))),
        ],
        clock(),
    )
    with sessions.reader() as session:
        borrower = find_by_phone(session, ports, msisdn)
        borrower_id = None if borrower is None else borrower.id
    if borrower_id is None:
        pins.verify_pin(body.pin, _decoy_pin_hash(pins))
        raise errors.InvalidCredentials(_WRONG)
    try:
        check_pin(sessions, clock, pins, borrower_id, body.pin)  # counts towards the PIN lock
    except WrongPin:
        raise errors.InvalidCredentials(_WRONG) from None
    with sessions.unit_of_work() as session:
        now = clock()
        issued = start_session(session, borrower_id, now)
        for counted in hits:
            forgive(session, counted)
    return TokensOut.of(issued, now)


@router.post(
    "/auth/refresh",
    summary="Rotate tokens with the refresh token (each one works once)",
    responses={401: {"description": "Unknown, expired, revoked or reused refresh token"}},
)
def refresh(body: RefreshIn, sessions: AppSessions, clock: AppClock) -> TokensOut:
    issued = refresh_session(sessions, clock, body.refresh_token)
    return TokensOut.of(issued, clock())


@router.post("/auth/logout", status_code=204, summary="Sign out: both tokens stop working")
def logout(owner: CurrentBorrower, sessions: AppSessions, clock: AppClock) -> Response:
    with sessions.unit_of_work() as session:
        end_session(session, owner.session_id, clock())
    return Response(status_code=204)
