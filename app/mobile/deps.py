"""Plumbing shared by the app's routes: a tight body size limit, the ``Idempotency-Key``
header, and the database sessions."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute

from app.api.deps import get_sessions
from app.api.problems import problem_response
from app.borrowers.errors import InvalidPhoneInput
from app.db.session import Sessions
from app.mobile import errors
from integrations.phone import InvalidMsisdn, normalise_msisdn

MAX_BODY_BYTES = 2048
"""The largest app request (registration) is a few hundred bytes of JSON."""
MAX_IDEMPOTENCY_KEY_CHARS = 64
_IDEMPOTENCY_KEY = re.compile(rf"[A-Za-z0-9._~:+/=-]{{1,{MAX_IDEMPOTENCY_KEY_CHARS}}}")

AppSessions = Annotated[Sessions, Depends(get_sessions)]


class BoundedBodyRoute(APIRoute):
    """Refuses a body over ``max_bytes`` (``MAX_BODY_BYTES``) with 413 before FastAPI parses
    it (the app-wide middleware still caps every body, chunked or not, at ``max_body_bytes``)."""

    max_bytes = MAX_BODY_BYTES

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        limit = self.max_bytes

        async def bounded(request: Request) -> Response:
            declared = request.headers.get("content-length")
            too_big = declared is not None and (not declared.isdigit() or int(declared) > limit)
            if too_big or len(await request.body()) > limit:  # body() is cached
                return problem_response(
                    413, "payload_too_large", f"Request body over {limit} bytes"
                )
            return await handle(request)

        return bounded


class SplitBodyRoute(BoundedBodyRoute):
    """A group's loan application lists every member's share: a few hundred members fit."""

    max_bytes = 32_768


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Required on writes that move money; the same key replays the answer",
        ),
    ] = None,
) -> str:
    if key is None:
        raise errors.IdempotencyKeyMissing("Send an Idempotency-Key header (e.g. a UUID)")
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise errors.IdempotencyKeyInvalid(
            f"An Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY_CHARS} letters, digits or ._~:+/=-"
        )
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]


def msisdn_of(phone: str) -> str:
    """The 12-digit form of a phone number, or ``invalid_phone_number`` (422)."""
    try:
        return normalise_msisdn(phone)
    except InvalidMsisdn:
        raise InvalidPhoneInput("Give a Kenyan mobile number, e.g. 0712345678") from None
