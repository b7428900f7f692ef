"""RFC 9457 problem+json: the one place where errors become HTTP responses.

Every refusal carries ``type`` (a stable URN naming the broken rule), ``title``,
``status``, ``detail`` and, where useful, ``errors``. An unexpected exception becomes a
500 problem that names only the request id — never a stack trace or a stored value. A
database pool exhausted for its whole timeout is a 503 with ``Retry-After``, not a 500.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import DomainError
from ledger.errors import LedgerError

PROBLEM_TYPE_PREFIX = "urn:mkopo:problem:"
MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger("mkopo.problems")
RETRY_AFTER_BUSY_S = 2
"""What a 503 for a busy database asks the client to wait before trying again."""


class ProblemError(Exception):
    """Raised by app code for a refusal that is not a ledger rule (auth, not found, ...)."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def problem_document(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        **extra,
    }


def problem_bytes(status: int, code: str, detail: str) -> bytes:
    return json.dumps(problem_document(status, code, detail)).encode()


def problem_response(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(
        problem_document(status, code, detail, **extra),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    async def _ledger_error(_request: Request, exc: LedgerError) -> JSONResponse:
        return problem_response(exc.http_status, exc.code, exc.detail)

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(exc.http_status, exc.code, exc.detail)

    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type")}
            for e in exc.errors()
        ]
        return problem_response(422, "invalid_request", "The request is not valid", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return problem_response(
            exc.status_code, code, str(exc.detail), getattr(exc, "headers", None)
        )

    @app.exception_handler(PoolTimeout)
    async def _busy(_request: Request, _exc: PoolTimeout) -> JSONResponse:
        # Every connection stayed busy for the pool's whole (short) timeout: an overload, not
        # a bug, so answer at once with when to retry (money moves replay by their key).
        log.warning("database_pool_exhausted")
        return problem_response(
            503,
            "database_busy",
            "The service is busy; try again shortly",
            {"Retry-After": str(RETRY_AFTER_BUSY_S)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_exception", exc_type=type(exc).__name__, exc_info=exc)
        request_id = structlog.contextvars.get_contextvars().get("request_id", "")
        return problem_response(
            500, "internal_error", f"Unexpected error; quote request id {request_id}"
        )
