"""Storing a callback first (M-Pesa's and Airtel's, one inbox): check and redact it, parse
just enough for its natural key, insert once, count redeliveries. Nothing here acts on the
money; a worker processes stored callbacks.

Invariants: every body is stored, never lost — one the edge's text rules refuse
(``app.security.input_text``: a control character, JSON nested too deep) or that is not
JSON is stored as ``malformed`` with the reason, where a person sees it (the exceptions
listing), and is never processed; and the stored body holds no payer number or name in
clear (``integrations.mpesa.redaction``, ``integrations.airtel.redaction``: masks and keyed
hashes). An Airtel callback is keyed ``<our id>:<status>`` under the kind
``airtel/disbursement`` or ``airtel/collection``; with a callback secret, one whose ``hash``
does not match is stored as malformed (acknowledged, never processed: a person sees it, and
the payout or push is settled by enquiry all the same). The caller gets the body
as received, for the answer M-Pesa waits for (the C2B validation decision).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.upsert import insert_for
from app.mpesa.models import CallbackStatus, MpesaCallback
from app.security.fields import BlindIndex
from app.security.input_text import InputRefused, check_json_bytes
from integrations.airtel import callbacks as airtel_callbacks
from integrations.airtel.config import CALLBACK_KINDS as AIRTEL_PATH_KINDS
from integrations.airtel.redaction import redact_airtel_document, redact_airtel_raw_text
from integrations.mpesa.callbacks import CallbackKind, natural_key
from integrations.mpesa.client import CALLBACK_KINDS
from integrations.mpesa.normalise import MalformedCallback
from integrations.mpesa.redaction import KeyedHash, redact_document, redact_raw_text

AIRTEL_KINDS: tuple[str, ...] = tuple(f"airtel/{kind}" for kind in AIRTEL_PATH_KINDS)
"""Airtel's callbacks in the inbox: ``airtel/disbursement``, ``airtel/collection``. The kind
is provider-qualified, so (kind, natural key) stays unique across providers with no new
column; M-Pesa's kinds keep their names."""
KINDS: tuple[str, ...] = (*CALLBACK_KINDS, *AIRTEL_KINDS)
MAX_BODY_CHARS = 65_536
MAX_ERROR_CHARS = 300
_KIND_FOR_KEY = {
    "stk": CallbackKind.STK,
    "c2b/validation": CallbackKind.C2B_VALIDATION,
    "c2b/confirmation": CallbackKind.C2B_CONFIRMATION,
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True, slots=True)
class StoredCallback:
    id: int
    duplicate: bool
    malformed: bool
    document: object | None
    """The decoded JSON body as received (None if it was refused or not JSON)."""


def is_airtel(kind: str) -> bool:
    return kind in AIRTEL_KINDS


def _key_of(kind: str, document: object) -> str:
    if is_airtel(kind):
        return airtel_callbacks.natural_key(document)[:80]
    return natural_key(_KIND_FOR_KEY.get(kind, CallbackKind.QUEUE_TIMEOUT), document)[:80]


def keyed_hash_of(blind_index: BlindIndex | None) -> KeyedHash | None:
    return blind_index.digest if blind_index is not None else None


def stored_body(
    raw: bytes, document: object | None, keyed_hash: KeyedHash | None, kind: str = ""
) -> str:
    """What the ``body`` column keeps: the redacted JSON (escaped to ASCII, so no NUL or lone
    surrogate reaches the database), or for a body that is not JSON its redacted text with
    control characters shown as ``\\xNN``."""
    airtel = is_airtel(kind)
    if document is not None:
        redact = redact_airtel_document if airtel else redact_document
        return json.dumps(redact(document, keyed_hash))[:MAX_BODY_CHARS]
    text = raw.decode("utf-8", errors="replace")[:MAX_BODY_CHARS]
    shown = _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)
    return (redact_airtel_raw_text if airtel else redact_raw_text)(shown, keyed_hash)


def redacted_again(body: str, keyed_hash: KeyedHash | None) -> str:
    """A body stored before redaction, as the inbox stores bodies now (migration 0015)."""
    raw = body.encode("utf-8", errors="replace")
    try:
        document = check_json_bytes(raw)
    except InputRefused:
        document = None  # redacted as text: its numbers and name fields all the same
    return stored_body(raw, document, keyed_hash)


def _read(delivery: Delivery) -> tuple[object, str, str | None]:
    """(document, natural key, error): the error is set when the body is malformed (or, for
    Airtel with a callback secret, when its hash is missing or does not match)."""
    kind, raw, refusal = delivery.kind, delivery.raw, delivery.refusal
    digest_key = "malformed:" + hashlib.sha256(raw).hexdigest()
    if refusal is not None:
        return None, digest_key, refusal.detail
    try:
        document = check_json_bytes(raw)
    except InputRefused as refused:
        return None, digest_key, refused.detail
    if document is None:
        return None, digest_key, "body is not JSON"
    try:
        key = _key_of(kind, document)
        if is_airtel(kind) and delivery.hash_secret is not None:
            airtel_callbacks.parse_callback(document, secret=delivery.hash_secret)
    except (MalformedCallback, airtel_callbacks.MalformedCallback) as exc:
        return document, digest_key, str(exc)
    except airtel_callbacks.UnauthenticCallback as exc:
        return document, digest_key, str(exc)
    return document, key, None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One callback as it reached the edge."""

    kind: str
    """One of ``CALLBACK_KINDS`` (the URL it was posted to)."""
    raw: bytes
    source_ip: str | None
    refusal: InputRefused | None = None
    """Why the edge refused its input, if it did."""
    hash_secret: str | None = None
    """Airtel: the callback secret its ``hash`` must match (None: not checked)."""


def store_callback(
    session: Session, delivery: Delivery, now: datetime, blind_index: BlindIndex | None
) -> StoredCallback:
    """Store one delivery."""
    kind, raw, refusal = delivery.kind, delivery.raw, delivery.refusal
    if kind not in KINDS:
        raise ValueError(f"unknown callback kind {kind!r}")
    document, key, error = _read(delivery)
    readable = document if refusal is None else None
    body = stored_body(raw, readable, keyed_hash_of(blind_index), kind)
    inserted = session.execute(
        insert_for(session, MpesaCallback)
        .values(
            kind=kind,
            natural_key=key,
            body=body,
            status=(CallbackStatus.MALFORMED if error else CallbackStatus.RECEIVED).value,
            error=error[:MAX_ERROR_CHARS] if error else None,
            source_ip=delivery.source_ip,
            deliveries=1,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind", "natural_key"])
        .returning(MpesaCallback.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return StoredCallback(inserted, False, error is not None, readable)
    session.execute(
        update(MpesaCallback)
        .where(MpesaCallback.kind == kind, MpesaCallback.natural_key == key)
        .values(deliveries=MpesaCallback.deliveries + 1)
    )
    existing = session.scalar(
        select(MpesaCallback.id).where(MpesaCallback.kind == kind, MpesaCallback.natural_key == key)
    )
    assert existing is not None
    return StoredCallback(existing, True, error is not None, readable)
