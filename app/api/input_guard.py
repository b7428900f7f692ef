"""The one sanitiser at the edge: an ASGI middleware that checks every request's path, query
string and body against ``app.security.input_text`` before any route reads them.

A refusal is a 400 problem+json (``invalid_text`` or ``json_too_deep``), never a 500. Bodies
are checked by their type: URL-encoded forms (USSD) field by field, multipart uploads not at
all (a statement file is binary; its parser checks its cells), anything else as text and,
when it starts like JSON, as JSON. Daraja's callbacks are the exception: M-Pesa must get its
answer and a payment must not vanish, so under the callback prefixes the refusal is
handed to the route (``refusal_of``), which stores the body as malformed with the reason (the
exceptions queue) and acknowledges it. The callback prefixes come from settings (a deployment
may move its callback paths), so the middleware is given them.

Runs inside the body size limit, so the body it buffers is bounded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import MEDIA_TYPE, problem_bytes
from app.security.input_text import InputRefused, check_form, check_json_bytes, check_text

_REFUSAL_KEY = "input_refusal"


def refusal_of(request: Request) -> InputRefused | None:
    """Why the edge refused this request's input, for routes that store refused input."""
    found: InputRefused | None = request.scope.get("state", {}).get(_REFUSAL_KEY)
    return found


def check_request(scope: Scope, body: bytes) -> None:
    """Raise ``InputRefused`` for a path, query string or body we do not take."""
    path = unquote_to_bytes(scope.get("raw_path") or scope["path"].encode())
    check_text(path.decode("utf-8", errors="replace"), "path")
    check_form(scope.get("query_string", b""), "query string")
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type == b"application/x-www-form-urlencoded":
        check_form(body, "form")
    elif not content_type.startswith(b"multipart/"):
        check_json_bytes(body)  # JSON or plain text alike: a non-JSON body is left to its route


class InputGuardMiddleware:
    def __init__(self, app: ASGIApp, store_refused_prefixes: tuple[str, ...]) -> None:
        """``store_refused_prefixes``: paths under which refused input goes on to the route
        (the provider callbacks), each ending in ``/``."""
        self.app = app
        self.store_refused_prefixes = store_refused_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, disconnected = await _read_body(receive)
        if not disconnected:
            try:
                check_request(scope, body)
            except InputRefused as refused:
                if not scope["path"].startswith(self.store_refused_prefixes):
                    await _refuse(send, refused)
                    return
                scope.setdefault("state", {})[_REFUSAL_KEY] = refused
        await self.app(scope, _replay(body, disconnected, receive), send)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, disconnected: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if disconnected:
            return {"type": "http.disconnect"}
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the client to go

    return replay


async def _refuse(send: Send, refused: InputRefused) -> None:
    body = problem_bytes(400, refused.code, refused.detail)
    headers: list[Any] = [
        (b"content-type", MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})
