"""Airtel Money callbacks: ``POST /callbacks/airtel/{token}/{kind}`` (``kind`` is
``disbursement`` or ``collection``, the URLs registered on Airtel's portal).

Each request is checked (the secret path token ``MKOPO_AIRTEL_CALLBACK_TOKEN``, compared in
constant time: a wrong one is a plain 404), stored FIRST in the inbox M-Pesa's callbacks use
(``app.mpesa.inbox``, kinds ``airtel/disbursement`` and ``airtel/collection``, the body
redacted), and acknowledged at once. With ``MKOPO_AIRTEL_CALLBACK_SECRET`` set (and
``MKOPO_AIRTEL_VERIFY_CALLBACK_HASH`` on), a body whose ``hash`` is missing or does not match
is stored as malformed and acknowledged: never processed, shown to a person. A body that is
not JSON or that the edge's text rules refuse is stored as malformed too: never a 500. The
worker confirms each callback by an enquiry to Airtel before any money moves
(``app.mpesa.airtel_results``).
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
from app.mpesa.inbox import Delivery, store_callback
from app.settings import Settings
from integrations.airtel.callbacks import callback_ack
from integrations.airtel.config import CALLBACK_KINDS, CALLBACK_PATH_PREFIX

PATH_PREFIX = CALLBACK_PATH_PREFIX
log = structlog.get_logger("mkopo.airtel")
router = APIRouter(tags=["Airtel Money callbacks"])


def _check_token(token: str, settings: Settings) -> None:
    expected = settings.airtel_callback_token.get_secret_value()
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise ProblemError(404, "not_found", "Not Found")


def _hash_secret(settings: Settings) -> str | None:
    return settings.airtel_callback_secret_value if settings.airtel_verify_callback_hash else None


def _handler(kind: str) -> Callable[[str, Request], Awaitable[JSONResponse]]:
    async def receive(token: str, request: Request) -> JSONResponse:
        runtime = app_runtime(request.app)
        settings, sessions = runtime.settings, runtime.sessions
        _check_token(token, settings)
        raw = await request.body()
        ip = request.client.host if request.client else None
        blind_index = app_blind_index(request)
        delivery = Delivery(f"airtel/{kind}", raw, ip, refusal_of(request), _hash_secret(settings))

        def store() -> dict[str, object]:
            with sessions.unit_of_work() as session:
                stored = store_callback(session, delivery, runtime.clock(), blind_index)
            log.info(
                "callback_stored",
                kind=delivery.kind,
                callback_id=stored.id,
                duplicate=stored.duplicate,
                malformed=stored.malformed,
            )
            return callback_ack()

        return JSONResponse(await run_in_threadpool(store))

    receive.__name__ = f"airtel_callback_{kind}"
    return receive


for _kind in CALLBACK_KINDS:
    router.add_api_route(
        f"/{{token}}/{_kind}",
        _handler(_kind),
        methods=["POST"],
        summary=f"Airtel Money {_kind} callback",
    )
