"""Africa's Talking USSD at the edge: form posts in, ``CON ``/``END `` plain text out.

A hop is a form post of ``sessionId, serviceCode, phoneNumber, networkCode, text`` (``text``
is every input of the session joined by ``*``, empty on the first hop); the answer starts
with ``CON `` (wait for input) or ``END `` (close the session). The end-of-session
notification is another form post to a second URL. Everything past this module speaks
``Hop``, ``SessionEnd`` and ``Reply``.

Invariant: a reply is plain ASCII of at most ``MAX_REPLY_CHARS`` characters, prefix
included (handsets show 182 at most and cannot render other characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs

MAX_REPLY_CHARS = 182
MAX_FORM_FIELDS = 30
MAX_TEXT_CHARS = 1000
"""A session's inputs together; far more than any journey types."""
INPUT_SEPARATOR = "*"
_SESSION_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
_SHORT_FIELD = 40


class MalformedRequest(ValueError):
    """A post that is not a gateway request (a missing or oversized field)."""


@dataclass(frozen=True, slots=True)
class Hop:
    session_id: str
    service_code: str
    phone_number: str
    network_code: str
    text: str


@dataclass(frozen=True, slots=True)
class SessionEnd:
    session_id: str
    service_code: str
    phone_number: str
    network_code: str
    status: str
    error_message: str
    hops_count: int | None
    duration_ms: int | None
    cost: str
    date: str


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    end: bool

    def render(self) -> str:
        return fit_reply(("END " if self.end else "CON ") + self.text)


def fit_reply(reply: str) -> str:
    """The reply as a handset can show it: ASCII only, cut to ``MAX_REPLY_CHARS`` (a safety
    net: every screen is written, and tested, to fit without it)."""
    ascii_only = reply.encode("ascii", "replace").decode("ascii")
    return ascii_only[:MAX_REPLY_CHARS]


def _form(body: bytes) -> dict[str, str]:
    try:
        decoded = body.decode("utf-8")
        pairs = parse_qs(decoded, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise MalformedRequest("the body is not a URL-encoded form") from None
    return {key: values[-1] for key, values in pairs.items()}


def _field(form: dict[str, str], name: str, max_chars: int, required: bool = True) -> str:
    value = form.get(name)
    if value is None:
        if required:
            raise MalformedRequest(f"the form has no {name}")
        return ""
    if len(value) > max_chars:
        raise MalformedRequest(f"{name} is longer than {max_chars} characters")
    return value.strip()


def _session_id(form: dict[str, str]) -> str:
    session_id = _field(form, "sessionId", 100)
    if not _SESSION_ID.fullmatch(session_id):
        raise MalformedRequest("sessionId must be 1 to 100 letters, digits or _.:-")
    return session_id


def parse_hop(body: bytes) -> Hop:
    form = _form(body)
    return Hop(
        session_id=_session_id(form),
        service_code=_field(form, "serviceCode", _SHORT_FIELD),
        phone_number=_field(form, "phoneNumber", _SHORT_FIELD),
        network_code=_field(form, "networkCode", 10, required=False),
        text=_field(form, "text", MAX_TEXT_CHARS),
    )


def _count(form: dict[str, str], name: str) -> int | None:
    value = form.get(name, "").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        return None
    return int(value)


def parse_session_end(body: bytes) -> SessionEnd:
    form = _form(body)
    return SessionEnd(
        session_id=_session_id(form),
        service_code=_field(form, "serviceCode", _SHORT_FIELD, required=False),
        phone_number=_field(form, "phoneNumber", _SHORT_FIELD, required=False),
        network_code=_field(form, "networkCode", 10, required=False),
        status=_field(form, "status", 16),
        error_message=form.get("errorMessage", "")[:500],
        hops_count=_count(form, "hopsCount"),
        duration_ms=_count(form, "durationInMillis"),
        cost=form.get("cost", "")[:32],
        date=form.get("date", "")[:32],
    )
