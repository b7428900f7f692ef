"""Daraja callback bodies as the inbox keeps them at rest: the payer's number and name replaced,
everything else (receipts, amounts, balances, ids, times) as received.

- Every full Kenyan mobile number anywhere in a body — a string or a number, under any key,
  alone or inside text such as ``"254712345678 - JANE DOE"`` — and a payer number in the
  fields that carry one (``MSISDN``, ``PhoneNumber``, ``BillRefNumber`` when it is a number,
  however typed) becomes ``2547******78~<keyed hash>``: the mask a person can read and the
  blind index of the number, so a paybill payment to a phone number still finds its borrower.
- A person's name (``FirstName``..., the name after `` - `` in a party field) becomes
  ``~<keyed hash>`` of the name. An organisation (``600000 - Org``) is kept.
- Without the field keys (``keyed_hash`` None) only the mask is kept.

Invariant: a redacted body holds no full phone number and no payer name, and redacting it
again changes nothing.
"""

from __future__ import annotations

import re

from integrations.phone import InvalidMsisdn, normalise_msisdn
from integrations.redaction import (
    KeyedHash,
    hash_token,
    msisdn_index_in,
    msisdn_token,
    redact_text,
    visible,
)

__all__ = [
    "KeyedHash",
    "msisdn_index_in",
    "msisdn_token",
    "redact_document",
    "redact_raw_text",
    "redact_text",
    "visible",
]

NAME_KIND = "payer_name"
NAME_FIELDS = frozenset({"FirstName", "MiddleName", "LastName"})
PARTY_FIELDS = frozenset(
    {
        "ReceiverPartyPublicName",
        "DebitPartyName",
        "CreditPartyName",
        "DebitPartyPublicName",
        "CreditPartyPublicName",
    }
)
PHONE_FIELDS = frozenset({"MSISDN", "PhoneNumber", "BillRefNumber", "PartyA", "PartyB"})
_ITEM_NAMES = ("Key", "Name")
_NAME_FIELD_TEXT = re.compile(
    r'("(?:' + "|".join(sorted(NAME_FIELDS | PARTY_FIELDS)) + r')"\s*:\s*")((?:[^"\\]|\\.)*)"'
)


def _name_token(name: str, keyed_hash: KeyedHash | None) -> str:
    if not name.strip() or name.startswith("~"):
        return name
    normalised = " ".join(name.upper().split())
    return f"~{hash_token(keyed_hash(NAME_KIND, normalised))}" if keyed_hash else "~"


def _phone(value: object, keyed_hash: KeyedHash | None) -> object:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return _redact(value, keyed_hash)
    try:
        return msisdn_token(normalise_msisdn(str(value)), keyed_hash)
    except InvalidMsisdn:
        return _redact(value, keyed_hash)


def _party(value: object, keyed_hash: KeyedHash | None) -> object:
    if not isinstance(value, str):
        return _redact(value, keyed_hash)
    number, separator, name = value.partition(" - ")
    shown = redact_text(number, keyed_hash)
    if not separator:
        is_code = number.strip().isdigit() and shown == number
        return shown if is_code or "*" in shown else _name_token(value, keyed_hash)
    if shown == number and "*" not in number:  # an organisation: "600000 - Org Name"
        return value
    return f"{shown} - {_name_token(name, keyed_hash)}"


def _field(key: str, value: object, keyed_hash: KeyedHash | None) -> object:
    if key in PHONE_FIELDS:
        return _phone(value, keyed_hash)
    if key in NAME_FIELDS:
        return (
            _name_token(value, keyed_hash) if isinstance(value, str) else _redact(value, keyed_hash)
        )
    if key in PARTY_FIELDS:
        return _party(value, keyed_hash)
    return _redact(value, keyed_hash)


def _redact(value: object, keyed_hash: KeyedHash | None) -> object:
    if isinstance(value, str):
        return redact_text(value, keyed_hash)
    if isinstance(value, int) and not isinstance(value, bool):
        shown = redact_text(str(value), keyed_hash)
        return value if shown == str(value) else shown
    if isinstance(value, list):
        return [_redact(item, keyed_hash) for item in value]
    if isinstance(value, dict):
        item_name = next((value[k] for k in _ITEM_NAMES if isinstance(value.get(k), str)), None)
        redacted: dict[object, object] = {}
        for key, item in value.items():
            if key == "Value" and isinstance(item_name, str):
                redacted[key] = _field(item_name, item, keyed_hash)
            else:
                redacted[key] = _field(key, item, keyed_hash)
        return redacted
    return value


def redact_document(document: object, keyed_hash: KeyedHash | None) -> object:
    """A decoded body with the payer's number and name replaced (its depth is bounded by the
    edge's check before decoding)."""
    return _redact(document, keyed_hash)


def redact_raw_text(text: str, keyed_hash: KeyedHash | None) -> str:
    """A body that is not JSON: numbers anywhere, and the values of name fields written as
    JSON (a truncated or broken body still names its fields)."""
    names_gone = _NAME_FIELD_TEXT.sub(
        lambda found: found.group(1) + _name_token(found.group(2), keyed_hash) + '"', text
    )
    return redact_text(names_gone, keyed_hash)
