"""Canonical byte forms and hashes: of a write request (idempotency) and of a stored entry
(sealing).

Invariant: the same logical content always gives the same bytes, whatever the order of
dict keys; datetimes are rendered in UTC with microseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_iso(value)
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


def utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(document: Mapping[str, Any]) -> str:
    """Hash of a write request, stored with the entry to tell a replay from a conflicting reuse."""
    return sha256_hex(canonical_bytes(document))
