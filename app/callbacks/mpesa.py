"""M-Pesa callbacks: ``POST {prefix}/{token}/{kind}``, one path per kind; ``create_app`` mounts
the router under ``MKOPO_MPESA_CALLBACK_PATH_PREFIX`` (default ``/callbacks/mpesa``).

Each request is checked (secret path token, compared in constant time; optional source IP
allowlist, enforced or only logged), stored in the inbox first, and answered at once in the
format Daraja expects — C2B validation with a real accept/reject decision. Processing happens
later, in a worker, from the inbox. A malformed body — not JSON, or refused by the edge's
text rules (``app.api.input_guard``: a control character, JSON nested too deep) — is stored
as malformed with the reason and acknowledged (a C2B validation is answered with a
rejection), never a 500: the exceptions listing shows it to a person.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import app_blind_index, app_runtime
from app.api.input_guard import refusal_of
from app.api.problems import ProblemError
from app.db.session import Sessions
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.validation import rejection_for
from app.security.fields import BlindIndex
from app.settings import Settings
from integrations.mpesa import callbacks as answers
from integrations.mpesa.callbacks import parse_c2b
from integrations.mpesa.client import CALLBACK_KINDS
from integrations.mpesa.normalise import MalformedCallback

log = structlog.get_logger("mkopo.mpesa")
router = APIRouter(tags=["M-Pesa callbacks"])


def _check_source(request: Request, token: str, settings: Settings) -> str | None:
    expected = settings.mpesa_callback_token.get_secret_value()
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise ProblemError(404, "not_found", "Not Found")
    ip = request.client.host if request.client else None
    allowed = settings.mpesa_callback_allowed_ips
    if allowed and ip not in allowed:
        log.warning("callback_from_unlisted_ip", ip=ip, enforced=settings.mpesa_callback_ip_enforce)
        if settings.mpesa_callback_ip_enforce:
            raise ProblemError(403, "forbidden", "Source address not allowed")
    return ip


def _answer(
    kind: str, session_factory: Sessions, blind_index: BlindIndex | None, document: object | None
) -> dict[str, str | int]:
    if kind == "stk":
        return answers.stk_ack()
    if kind == "c2b/confirmation":
        return answers.c2b_confirmation_ack()
    if kind == "c2b/validation":
        try:
            payment = parse_c2b(document)
        except MalformedCallback:
            return answers.c2b_validation_reject(answers.C2BRejection.OTHER_ERROR)
        with session_factory.reader() as session:
            reason = rejection_for(session, blind_index, payment.account_reference)
        return (
            answers.c2b_validation_accept()
            if reason is None
            else answers.c2b_validation_reject(reason)
        )
    return answers.result_ack()


def _handler(kind: str) -> Callable[[str, Request], Awaitable[JSONResponse]]:
    async def receive(token: str, request: Request) -> JSONResponse:
        runtime = app_runtime(request.app)
        settings, sessions = runtime.settings, runtime.sessions
        ip = _check_source(request, token, settings)
        raw = await request.body()
        blind_index = app_blind_index(request)
        refusal = refusal_of(request)

        def store_and_answer() -> dict[str, str | int]:
            with sessions.unit_of_work() as session:
                now = runtime.clock()
                delivery = Delivery(kind, raw, ip, refusal)
                stored = store_callback(session, delivery, now, blind_index)
            log.info(
                "callback_stored",
                kind=kind,
                callback_id=stored.id,
                duplicate=stored.duplicate,
                malformed=stored.malformed,
            )
            return _answer(kind, sessions, blind_index, stored.document)

        return JSONResponse(await run_in_threadpool(store_and_answer))

    receive.__name__ = "callback_" + kind.replace("/", "_")
    return receive


for _kind in CALLBACK_KINDS:
    router.add_api_route(
        f"/{{token}}/{_kind}",
        _handler(_kind),
        methods=["POST"],
        summary=f"Daraja {_kind} callback",
        include_in_schema=True,
    )
