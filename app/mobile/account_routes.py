"""The signed-in borrower's account: profile, limit, PIN change, opt-out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.deps import AppClock, ReadSession
from app.borrowers.errors import PinTooWeak, WrongPin
from app.borrowers.models import Borrower
from app.borrowers.pin_checks import change_pin
from app.borrowers.service import get_borrower
from app.lending.loans import open_loan
from app.mobile import errors
from app.mobile.auth import CurrentBorrower
from app.mobile.deps import AppSessions, BoundedBodyRoute
from app.mobile.limits import (
    PIN_GUESSES_PER_IP,
    PIN_GUESSES_PER_PHONE,
    client_ip,
    enforce,
    ip_subject,
)
from app.mobile.ports import AppPins, AppPorts
from app.mobile.schemas import LimitOut, MeOut, PinChangeIn
from app.mobile.tokens import end_other_sessions
from app.money import kes
from app.onboarding.service import opt_out
from app.ports import Ports
from app.scoring.queries import latest_decision
from app.scoring.schemas import MyScoreOut
from app.security.rate_limits import forgive, refund
from integrations.phone import mask_msisdn

router = APIRouter(route_class=BoundedBodyRoute, tags=["app: account"])


def _me(borrower: Borrower, ports: Ports) -> MeOut:
    return MeOut(
        borrower_id=borrower.id,
        full_name=ports.cipher.decrypt(borrower.full_name_enc),
        phone_masked=mask_msisdn(ports.cipher.decrypt(borrower.phone_enc)),
        status=borrower.status,
        terms_version=borrower.terms_version,
        opted_in_at=borrower.opted_in_at,
        opted_out_at=borrower.opted_out_at,
        frozen=borrower.frozen_at is not None,
        credit_limit_minor=borrower.credit_limit_minor,
        credit_limit_display=kes(borrower.credit_limit_minor),
    )


@router.get("/me", summary="The signed-in borrower")
def me(owner: CurrentBorrower, session: ReadSession, ports: AppPorts) -> MeOut:
    return _me(get_borrower(session, owner.borrower_id), ports)


@router.get("/me/limit", summary="Credit limit and what can be borrowed now")
def my_limit(owner: CurrentBorrower, session: ReadSession) -> LimitOut:
    borrower = get_borrower(session, owner.borrower_id)
    loan = open_loan(session, owner.borrower_id)
    owed = 0 if loan is None else loan.principal_outstanding_minor + loan.principal_pending_minor
    available = 0 if borrower.frozen_at is not None else max(borrower.credit_limit_minor - owed, 0)
    return LimitOut(
        credit_limit_minor=borrower.credit_limit_minor,
        owed_principal_minor=owed,
        available_minor=available,
        available_display=kes(available),
        score_band=borrower.score_band,
        frozen=borrower.frozen_at is not None,
    )


@router.get(
    "/me/score",
    summary="Why my limit is what it is: band, limit and reasons of the latest decision",
    responses={404: {"description": "No decision recorded yet"}},
)
def my_score(owner: CurrentBorrower, session: ReadSession) -> MyScoreOut:
    """The latest credit decision in plain words (Data Protection Act s.35): the band, the
    limit, what cost the most points, and when the next review is due."""
    borrower = get_borrower(session, owner.borrower_id)
    return MyScoreOut.of(latest_decision(session, borrower.id), borrower)


@router.post(
    "/me/pin",
    status_code=204,
    summary="Change the PIN (signs out every other device)",
    responses={
        403: {"description": "Wrong current PIN"},
        423: {"description": "PIN locked after repeated wrong PINs"},
        429: {"description": "Too many wrong PINs"},
    },
)
def change_my_pin(
    body: PinChangeIn,
    owner: CurrentBorrower,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    ports: AppPorts,
    pins: AppPins,
) -> Response:
    with sessions.reader() as session:
        phone_index = get_borrower(session, owner.borrower_id).phone_index
    hits = enforce(
        sessions,
        [
            (PIN_GUESSES_PER_PHONE, phone_index),  # the same digest the phone's sign-ins use
            (PIN_GUESSES_PER_IP, ip_subject(ports.blind_index, client_ip(request))),
        ],
        clock(),
    )
    try:
        change_pin(sessions, clock, pins, owner.borrower_id, body.current_pin, body.new_pin)
    except PinTooWeak:
        refund(sessions, hits)  # refused before the current PIN was tried
        raise
    except WrongPin as wrong:
        raise errors.WrongCurrentPin(wrong.detail) from None
    with sessions.unit_of_work() as session:
        end_other_sessions(session, owner.borrower_id, owner.session_id, clock())
        for counted in hits:
            forgive(session, counted)
    return Response(status_code=204)


@router.post(
    "/me/opt-out",
    summary="Leave the fund (no open loan); savings stay yours",
    responses={409: {"description": "A loan is open"}},
)
def opt_me_out(
    owner: CurrentBorrower, sessions: AppSessions, clock: AppClock, ports: AppPorts
) -> MeOut:
    with sessions.unit_of_work() as session:
        borrower = opt_out(session, owner.borrower_id, clock())
    return _me(borrower, ports)
