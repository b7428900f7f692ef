"""Registration: prove the phone with a one-time code, then opt in and get signed in.

``start`` -> SMS code -> ``verify`` (code -> verification token) -> ``complete`` (token,
national ID, terms, PIN). The identity register, the network's KYC and the PIN's KDF run
outside any transaction; the opt-in and the first session are one transaction. ``start``
answers the same whether or not the number is registered, so it cannot be used to find out.

The code is sent by the API itself, after the commit and after the answer (a background
task), not through the SMS outbox: the outbox belongs to borrowers (``sms_outbox.borrower_id``
is required) and stores texts in clear, and an applicant is not a borrower yet. A code whose
send failed is simply asked for again (the send limit allows three per 15 minutes).
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, BackgroundTasks, Request

from app.api.deps import AppClock
from app.borrowers.errors import TermsNotAccepted
from app.borrowers.models import BorrowerStatus, ConsentChannel
from app.borrowers.service import find_by_phone, prepare_pin
from app.clock import business_date
from app.lending.limits import LimitPolicy
from app.mobile import errors
from app.mobile.deps import AppSessions, BoundedBodyRoute, msisdn_of
from app.mobile.limits import (
    CODE_GUESSES_PER_IP,
    CODE_GUESSES_PER_PHONE,
    CODE_SENDS_PER_IP,
    CODE_SENDS_PER_PHONE,
    REGISTRATIONS_PER_IP,
    REGISTRATIONS_PER_PHONE,
    client_ip,
    enforce,
    ip_subject,
    phone_subject,
)
from app.mobile.ports import AppPins, AppPorts
from app.mobile.schemas import CodeIn, CodeSentOut, PhoneIn, RegistrationIn, TokensOut, VerifiedOut
from app.mobile.tokens import start_session
from app.mobile.verification import (
    CODE_TTL,
    VERIFICATION_TTL,
    check_code,
    code_text,
    consume_verification,
    issue_code,
    verified_phone,
)
from app.onboarding.service import OptInRequest, check_applicant, opt_in
from app.security.rate_limits import refund
from integrations.phone import mask_msisdn
from integrations.sms.sender import SmsSender

LIMIT_POLICY = LimitPolicy()
log = structlog.get_logger("mkopo.mobile")
router = APIRouter(route_class=BoundedBodyRoute, tags=["app: registration"])


@router.post(
    "/registration/start",
    status_code=202,
    summary="Send a one-time code to a phone number",
    responses={429: {"description": "Too many codes for this number or address"}},
)
def start_registration(
    body: PhoneIn,
    request: Request,
    background: BackgroundTasks,
    sessions: AppSessions,
    clock: AppClock,
    ports: AppPorts,
) -> CodeSentOut:
    msisdn = msisdn_of(body.phone)
    enforce(
        sessions,
        [
            (CODE_SENDS_PER_PHONE, phone_subject(ports.blind_index, msisdn)),
            (CODE_SENDS_PER_IP, ip_subject(ports.blind_index, client_ip(request))),
        ],
        clock(),
    )
    with sessions.unit_of_work() as session:
        code = issue_code(session, ports, msisdn, clock())
    background.add_task(_send_code, ports.sms, msisdn, code)
    return CodeSentOut(
        detail="A code is on its way by SMS", expires_in_s=int(CODE_TTL.total_seconds())
    )


def _send_code(sms: SmsSender, msisdn: str, code: str) -> None:
    try:
        sms.send(msisdn, code_text(code))
    except Exception:  # the applicant asks for another code; nothing else depends on it
        log.warning("code_not_sent", to=mask_msisdn(msisdn), exc_info=True)


@router.post(
    "/registration/verify",
    summary="Trade the code for a verification token",
    responses={429: {"description": "Too many wrong codes for this number or address"}},
)
def verify_phone(
    body: CodeIn, request: Request, sessions: AppSessions, clock: AppClock, ports: AppPorts
) -> VerifiedOut:
    msisdn = msisdn_of(body.phone)
    hits = enforce(
        sessions,
        [
            (CODE_GUESSES_PER_PHONE, phone_subject(ports.blind_index, msisdn)),
            (CODE_GUESSES_PER_IP, ip_subject(ports.blind_index, client_ip(request))),
        ],
        clock(),
    )
    token = check_code(sessions, ports, clock, msisdn, body.code)
    refund(sessions, hits)  # only wrong codes count
    return VerifiedOut(verification_token=token, expires_in_s=int(VERIFICATION_TTL.total_seconds()))


@router.post(
    "/registration/complete",
    status_code=201,
    summary="Opt in (national ID, terms, PIN) and sign in",
    responses={409: {"description": "The number or the ID is registered already"}},
)
def complete_registration(
    body: RegistrationIn,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    ports: AppPorts,
    pins: AppPins,
) -> TokensOut:
    with sessions.reader() as session:
        msisdn = verified_phone(session, ports.cipher, body.verification_token, clock())
    enforce(
        sessions,
        [
            (REGISTRATIONS_PER_PHONE, phone_subject(ports.blind_index, msisdn)),
            (REGISTRATIONS_PER_IP, ip_subject(ports.blind_index, client_ip(request))),
        ],
        clock(),
    )
    if not body.accept_terms:  # refused before the register is asked
        raise TermsNotAccepted("Accept the terms and conditions to opt in")
    applicant = check_applicant(ports, body.national_id, msisdn, business_date(clock()))
    pin_hash = prepare_pin(pins, body.pin)
    with sessions.unit_of_work() as session:
        now = clock()
        consume_verification(session, body.verification_token, now)
        registered = find_by_phone(session, ports, msisdn)
        if registered is not None and registered.status == BorrowerStatus.ACTIVE:
            # opt_in would return the borrower as is, ignoring the PIN just given.
            raise errors.AlreadyRegistered("This number is registered: sign in with your PIN")
        joining = OptInRequest(applicant, pin_hash, terms_accepted=True, channel=ConsentChannel.APP)
        borrower = opt_in(session, ports, LIMIT_POLICY, joining, now)
        issued = start_session(session, borrower.id, now)
    log.info("app_registered", borrower_id=issued.borrower_id)
    return TokensOut.of(issued, now)
