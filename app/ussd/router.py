"""``POST /ussd/africastalking`` (a hop) and ``POST /ussd/africastalking/events`` (the
gateway's end-of-session notification).

A hop is answered ``200 text/plain`` (``CON ...``/``END ...``) whatever the caller typed; only
a post that is not a gateway request at all gets a 400 problem. An unexpected failure
inside a hop, or missing field keys, is logged and answered ``END`` with an apology, so the
handset shows a sentence instead of the gateway's generic error. No provider is called
inside a hop.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import app_runtime
from app.api.problems import ProblemError
from app.clock import Clock
from app.db.session import Sessions
from app.db.upsert import insert_for
from app.security.fields import BlindIndex, InvalidFieldKeysFile
from app.security.pins import PinPepperMissing
from app.ussd import screens
from app.ussd.flow import answer_hop
from app.ussd.gateway import MalformedRequest, Reply, SessionEnd, parse_hop, parse_session_end
from app.ussd.models import UssdSessionEvent
from app.ussd.steps import UssdEnv
from integrations.phone import InvalidMsisdn, normalise_msisdn

router = APIRouter(prefix="/ussd/africastalking", tags=["USSD"])
log = structlog.get_logger("mkopo.ussd")

_FORM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["sessionId", "serviceCode", "phoneNumber", "text"],
                    "properties": {
                        name: {"type": "string"}
                        for name in ("sessionId", "serviceCode", "phoneNumber", "networkCode")
                    }
                    | {"text": {"type": "string", "description": "Inputs joined by *"}},
                }
            }
        },
    }
}


def ussd_env(request: Request) -> UssdEnv | None:
    """What a hop's steps need, from the API runtime; None (and an error logged) while the
    field keys are missing, so a misconfigured service answers the handset instead of failing."""
    runtime = app_runtime(request.app)
    try:
        crypto = runtime.field_crypto()
    except (OSError, InvalidFieldKeysFile):
        log.error("ussd_field_keys_unavailable")
        return None
    return UssdEnv(
        runtime.sessions,
        runtime.clock,
        crypto.cipher,
        crypto.blind_index,
        runtime.settings.mpesa_shortcode,
        crypto.pins,
    )


def _problem(exc: MalformedRequest) -> ProblemError:
    return ProblemError(400, "bad_request", str(exc))


@router.post(
    "",
    response_class=PlainTextResponse,
    summary="A USSD hop from Africa's Talking",
    openapi_extra=_FORM_BODY,
)
async def ussd_hop(request: Request) -> PlainTextResponse:
    try:
        hop = parse_hop(await request.body())
    except MalformedRequest as exc:
        raise _problem(exc) from None
    env = ussd_env(request)
    if env is None:
        return PlainTextResponse(Reply(screens.UNAVAILABLE, end=True).render())

    def answer() -> str:
        try:
            return answer_hop(env, hop)
        except PinPepperMissing:  # the keys file has no pepper yet: only PIN screens fail
            log.error("ussd_pin_pepper_missing", session_id=hop.session_id)
            return Reply(screens.UNAVAILABLE, end=True).render()
        except Exception:
            log.error("ussd_hop_failed", session_id=hop.session_id, exc_info=True)
            return Reply(screens.UNAVAILABLE, end=True).render()

    return PlainTextResponse(await run_in_threadpool(answer))


@router.post(
    "/events",
    response_class=PlainTextResponse,
    summary="Africa's Talking end-of-session notification",
)
async def ussd_session_end(request: Request) -> PlainTextResponse:
    try:
        event = parse_session_end(await request.body())
    except MalformedRequest as exc:
        raise _problem(exc) from None
    env = ussd_env(request)
    index = env.blind_index if env is not None else None
    runtime = app_runtime(request.app)
    await run_in_threadpool(store_session_end, runtime.sessions, runtime.clock, index, event)
    return PlainTextResponse("OK")


def store_session_end(
    sessions: Sessions, clock: Clock, blind_index: BlindIndex | None, event: SessionEnd
) -> None:
    """Keep the notification once per session (the gateway may send it again); the phone
    only as its blind index, when the keys are there."""
    phone_index: str | None = None
    if blind_index is not None:
        try:
            phone_index = blind_index.digest("msisdn", normalise_msisdn(event.phone_number))
        except InvalidMsisdn:
            phone_index = None
    with sessions.unit_of_work() as session:
        session.execute(
            insert_for(session, UssdSessionEvent)
            .values(
                session_id=event.session_id,
                phone_index=phone_index,
                service_code=event.service_code,
                network_code=event.network_code,
                status=event.status,
                error_message=event.error_message or None,
                hops_count=event.hops_count,
                duration_ms=event.duration_ms,
                cost=event.cost or None,
                gateway_date=event.date or None,
                received_at=clock(),
            )
            .on_conflict_do_nothing(index_elements=["session_id"])
        )
    log.info("ussd_session_ended", session_id=event.session_id, status=event.status)
