"""The OpenAPI document says what the service really answers: every error is RFC 9457
problem+json, so each operation documents 4XX (and FastAPI's 422) with the Problem schema
instead of FastAPI's default ``application/json`` validation error, and every operation that
takes a body documents 413 (the app-wide body size limit)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.problems import MEDIA_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "urn:mkopo:problem:<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object"},
            "description": "For 422: where and why the request is not valid",
        },
    },
    "additionalProperties": True,
}
_PROBLEM_CONTENT = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
BODY_METHODS = frozenset({"post", "put", "patch"})
"""Operations that carry a body: every one may be refused with 413 (the size limit is
app-wide middleware, so no route declares it itself)."""
_TOO_LARGE = {"description": "Request body over the size limit"}


def install_problem_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            document.setdefault("components", {}).setdefault("schemas", {})
            document["components"]["schemas"]["Problem"] = PROBLEM_SCHEMA
            for schema in ("HTTPValidationError", "ValidationError"):
                document["components"]["schemas"].pop(schema, None)
            for path in document.get("paths", {}).values():
                for method, operation in path.items():
                    responses = operation.setdefault("responses", {})
                    if method in BODY_METHODS:
                        responses.setdefault("413", _TOO_LARGE)
                    _problems_for(responses)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problems_for(responses: dict[str, Any]) -> None:
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            response["content"] = _PROBLEM_CONTENT
    responses.setdefault(
        "4XX", {"description": "A problem (RFC 9457)", "content": _PROBLEM_CONTENT}
    )
