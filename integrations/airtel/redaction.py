"""Airtel bodies as the inbox keeps them at rest: every phone number replaced by its mask and
keyed hash, everything else (ids, codes, amounts, the hash) as received.

Airtel writes numbers in the 9-digit national form (``733123456``) in ``msisdn`` fields, and may
write any form in free text (``message``). Ids (``id``, ``airtel_money_id``, ``reference_id``)
and the callback ``hash`` are never touched, so the parser still reads them and a redacted
callback keeps its natural key.

Invariant: a redacted body holds no full phone number in any form, and redacting it again
changes nothing.
"""

from __future__ import annotations

import re

from integrations.phone import InvalidMsisdn, normalise_msisdn
from integrations.redaction import KeyedHash, msisdn_token

PHONE_FIELDS = frozenset({"msisdn", "payee_msisdn", "subscriber_msisdn"})
KEPT_FIELDS = frozenset({"id", "airtel_money_id", "reference_id", "hash"})
_NUMBER_OR_HASH = re.compile(
    r"(?P<hash>~[a-pA-P]{64})"  # a keyed hash written before (letters only, but skip it whole)
    r"|(?<![0-9])(?P<full>(?:\+?254|0)[17][0-9]{8})(?![0-9])"
    r"|(?<![0-9*])(?P<national>[17][0-9]{8})(?![0-9])"
)


def _token(found: re.Match[str], keyed_hash: KeyedHash | None) -> str:
    if found.group("hash"):
        return found.group()
    return msisdn_token(normalise_msisdn(found.group()), keyed_hash)


def redact_airtel_text(text: str, keyed_hash: KeyedHash | None) -> str:
    """Every number in any form, the bare national one (``733123456``) included, in one pass
    that leaves keyed hashes written before alone."""
    return _NUMBER_OR_HASH.sub(lambda found: _token(found, keyed_hash), text)


def _phone(value: object, keyed_hash: KeyedHash | None) -> object:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return _redact(value, keyed_hash)
    try:
        return msisdn_token(normalise_msisdn(str(value)), keyed_hash)
    except InvalidMsisdn:
        return _redact(value, keyed_hash)


def _redact(value: object, keyed_hash: KeyedHash | None) -> object:
    if isinstance(value, str):
        return redact_airtel_text(value, keyed_hash)
    if isinstance(value, int) and not isinstance(value, bool):
        shown = redact_airtel_text(str(value), keyed_hash)
        return value if shown == str(value) else shown
    if isinstance(value, list):
        return [_redact(item, keyed_hash) for item in value]
    if isinstance(value, dict):
        redacted: dict[object, object] = {}
        for key, item in value.items():
            if key in KEPT_FIELDS:
                redacted[key] = item
            elif key in PHONE_FIELDS:
                redacted[key] = _phone(item, keyed_hash)
            else:
                redacted[key] = _redact(item, keyed_hash)
        return redacted
    return value


def redact_airtel_document(document: object, keyed_hash: KeyedHash | None) -> object:
    """A decoded Airtel body with its phone numbers replaced."""
    return _redact(document, keyed_hash)


def redact_airtel_raw_text(text: str, keyed_hash: KeyedHash | None) -> str:
    """A body that is not JSON: numbers anywhere (ids cannot be told apart here)."""
    return redact_airtel_text(text, keyed_hash)
