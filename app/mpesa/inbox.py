"""Storing a callback first: parse just enough for its natural key, insert once, count
redeliveries. Nothing here acts on the money; a worker processes stored callbacks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.mpesa.models import MpesaCallback
from integrations.mpesa.callbacks import CallbackKind, natural_key
from integrations.mpesa.client import CALLBACK_KINDS
from integrations.mpesa.normalise import MalformedCallback

MAX_BODY_CHARS = 65_536
_KIND_FOR_KEY = {
    "stk": CallbackKind.STK,
    "c2b/validation": CallbackKind.C2B_VALIDATION,
    "c2b/confirmation": CallbackKind.C2B_CONFIRMATION,
}


@dataclass(frozen=True, slots=True)
class StoredCallback:
    id: int
    duplicate: bool
    malformed: bool
    document: object | None
    """The decoded JSON body (None if it was not JSON)."""


def _key_of(kind: str, document: object) -> str:
    return natural_key(_KIND_FOR_KEY.get(kind, CallbackKind.QUEUE_TIMEOUT), document)[:80]


def store_callback(
    session: Session, kind: str, raw: bytes, source_ip: str | None, now: datetime
) -> StoredCallback:
    if kind not in CALLBACK_KINDS:
        raise ValueError(f"unknown callback kind {kind!r}")
    text = raw.decode("utf-8", errors="replace")[:MAX_BODY_CHARS]
    document: object | None = None
    error = None
    try:
        document = json.loads(text)
        key = _key_of(kind, document)
    except (ValueError, MalformedCallback) as exc:  # JSONDecodeError is a ValueError
        error = (str(exc) if isinstance(exc, MalformedCallback) else "body is not JSON")[:300]
        key = "malformed:" + hashlib.sha256(raw).hexdigest()
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = session.execute(
        make(MpesaCallback)
        .values(
            kind=kind,
            natural_key=key,
            body=text,
            status="malformed" if error else "received",
            error=error,
            source_ip=source_ip,
            deliveries=1,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind", "natural_key"])
        .returning(MpesaCallback.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return StoredCallback(inserted, False, error is not None, document)
    session.execute(
        update(MpesaCallback)
        .where(MpesaCallback.kind == kind, MpesaCallback.natural_key == key)
        .values(deliveries=MpesaCallback.deliveries + 1)
    )
    existing = session.scalar(
        select(MpesaCallback.id).where(MpesaCallback.kind == kind, MpesaCallback.natural_key == key)
    )
    assert existing is not None
    return StoredCallback(existing, True, error is not None, document)
