"""Lenient readers for the loose JSON Daraja sends: codes, amounts, times, key-value lists, numbers.

Daraja is inconsistent about types (a ResultCode is ``0`` or ``"0"``, an amount ``1``, ``1.0``,
``"5.00"`` or ``"1,131,340.00"``; a list of one item is sometimes the bare item; key names
sometimes contain spaces). These readers absorb every such quirk.

Invariant: a reader returns a clean neutral value (cents as ``int``, an aware UTC ``datetime``, a
stripped ``str``) or raises ``MalformedCallback`` naming the field. No reader echoes the value it
refused: the value may be a phone number.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from integrations.mpesa.redaction import visible
from integrations.phone import InvalidMsisdn, mask_msisdn, normalise_msisdn

EAT = timezone(timedelta(hours=3), "EAT")
"""Africa/Nairobi: UTC+3 all year (Kenya keeps no daylight saving), so a fixed offset is exact."""

MAX_AMOUNT_MINOR = 10**15
"""Ten trillion shillings: far above any M-Pesa balance, low enough to refuse absurd input."""
MAX_AMOUNT_CHARS = 40
MAX_ITEMS = 200
"""Most key-value items accepted in one list (a real result carries about a dozen)."""
MAX_RECEIPT_CHARS = 20

# All whitespace, including the non-breaking spaces that copy-pasted amounts carry.
_SPACES = re.compile(r"\s+")
# Digits with optional thousands commas (grouped by three, so a decimal comma "1,5" is refused)
# and an optional decimal part.
_AMOUNT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+")
_TIMESTAMP = re.compile(r"\d{14}")  # YYYYMMDDHHmmss
_DOTTED_TIME = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})\s+(\d{2}):(\d{2}):(\d{2})")  # B2C
_RECEIPT = re.compile(rf"[A-Z0-9]{{1,{MAX_RECEIPT_CHARS}}}")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_MASKED = re.compile(r"([0-9]*)\*+([0-9]*)")


class MalformedCallback(ValueError):
    """A Daraja callback body lacks a field we need, or holds one we cannot read."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def squeeze(raw: str) -> str:
    """``raw`` without whitespace: ``"Conversation ID"`` -> ``"ConversationID"``."""
    return _SPACES.sub("", raw)


def fields(value: object, field: str) -> dict[str, object]:
    """The JSON object at ``field``, its keys without spaces."""
    if not isinstance(value, Mapping):
        raise MalformedCallback(field, "missing" if value is None else "not an object")
    return {squeeze(str(key)): item for key, item in value.items()}


def text(value: object, field: str) -> str | None:
    """A stripped string from a string or a whole number; None when absent or blank."""
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
    elif isinstance(value, bool):
        raise MalformedCallback(field, "not text")
    elif isinstance(value, int):
        stripped = str(value)
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        stripped = str(int(value))
    else:
        raise MalformedCallback(field, "not text")
    return stripped or None


def required_text(value: object, field: str) -> str:
    found = text(value, field)
    if found is None:
        raise MalformedCallback(field, "missing")
    return found


def receipt(value: object, field: str) -> str | None:
    """An M-Pesa receipt (``NLJ7RT61SV``), upper-cased; None when absent.

    Only the alphabet and a length cap are checked, not the exact 10 characters: the reference
    warns not to hard-reject on the receipt's structure.
    """
    found = text(value, field)
    if found is None:
        return None
    found = found.upper()
    if not _RECEIPT.fullmatch(found):
        raise MalformedCallback(field, "not a receipt number")
    return found


def _decimal(value: object, field: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise MalformedCallback(field, "not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back as this float: 8959269.6 -> "8959269.6",
        # not the binary expansion 8959269.5999999996...
        return Decimal(repr(value))
    if isinstance(value, str):
        compact = squeeze(value)
        if not compact:
            return None
        if len(compact) > MAX_AMOUNT_CHARS or not _AMOUNT.fullmatch(compact):
            raise MalformedCallback(field, "not an amount")
        return Decimal(compact.replace(",", ""))
    raise MalformedCallback(field, "not an amount")


def _minor(value: object, field: str, *, signed: bool) -> int | None:
    shillings = _decimal(value, field)
    if shillings is None:
        return None
    if not shillings.is_finite():
        raise MalformedCallback(field, "not a finite amount")
    if not signed and shillings < 0:
        raise MalformedCallback(field, "negative amount")
    if abs(shillings) > Decimal(MAX_AMOUNT_MINOR) / 100:
        raise MalformedCallback(field, "amount out of range")
    # Exact integer arithmetic on the digits: Decimal operators would round to 28 digits.
    sign, digits, exponent = shillings.as_tuple()
    assert isinstance(exponent, int)  # a finite Decimal has an integer exponent
    coefficient = int("".join(map(str, digits)))
    scale = exponent + 2
    cents: int  # int ** int is typed Any (a negative power would be a float); ours is not
    if scale >= 0:
        cents = coefficient * 10**scale
    else:
        cents, remainder = divmod(coefficient, 10**-scale)
        if remainder:
            raise MalformedCallback(field, "more than 2 decimal places")
    return -cents if sign else cents


def amount_minor(value: object, field: str) -> int:
    """A non-negative amount in cents, required."""
    cents = _minor(value, field, signed=False)
    if cents is None:
        raise MalformedCallback(field, "missing")
    return cents


def optional_amount_minor(value: object, field: str) -> int | None:
    """A non-negative amount in cents; None when absent or blank."""
    return _minor(value, field, signed=False)


def balance_minor(value: object, field: str) -> int | None:
    """A balance in cents, negative allowed (the Charges Paid account runs below zero)."""
    return _minor(value, field, signed=True)


def eat_time(value: object, field: str) -> datetime | None:
    """An EAT wall-clock time as an aware UTC datetime; None when absent or blank.

    Accepts ``YYYYMMDDHHmmss`` (int or str: STK, C2B, status, reversal, balance) and
    ``dd.mm.yyyy HH:MM:SS`` (B2C ``TransactionCompletedDateTime``).
    """
    raw = text(value, field)
    if raw is None:
        return None
    if _TIMESTAMP.fullmatch(raw):
        parts = (raw[0:4], raw[4:6], raw[6:8], raw[8:10], raw[10:12], raw[12:14])
    elif (dotted := _DOTTED_TIME.fullmatch(raw)) is not None:
        day, month, year, hour, minute, second = dotted.groups()
        parts = (year, month, day, hour, minute, second)
    else:
        raise MalformedCallback(field, "not a YYYYMMDDHHmmss time")
    year_, month_, day_, hour_, minute_, second_ = (int(part) for part in parts)
    try:
        local = datetime(year_, month_, day_, hour_, minute_, second_, tzinfo=EAT)
    except ValueError:
        raise MalformedCallback(field, "not a real date and time") from None
    return local.astimezone(UTC)


def required_eat_time(value: object, field: str) -> datetime:
    found = eat_time(value, field)
    if found is None:
        raise MalformedCallback(field, "missing")
    return found


@dataclass(frozen=True, slots=True)
class Parameters:
    """Key-value items in arrival order. Keys repeat (a status result has two ``DebitPartyName``)
    and have no spaces; a value is None when the item had no ``Value`` (STK ``Balance``)."""

    items: tuple[tuple[str, object], ...] = ()

    def get(self, key: str) -> object:
        """The first present value under ``key``, or None."""
        return next(
            (value for name, value in self.items if name == key and value is not None), None
        )

    def get_all(self, key: str) -> tuple[object, ...]:
        """Every present value under ``key``, in arrival order."""
        return tuple(value for name, value in self.items if name == key and value is not None)

    def __contains__(self, key: object) -> bool:
        return any(name == key for name, _ in self.items)

    def __iter__(self) -> Iterator[tuple[str, object]]:
        return iter(self.items)


def key_values(
    container: object, list_name: str, field: str, *, key_name: str = "Key"
) -> Parameters:
    """Read ``{"<list_name>": [{"Key": .., "Value": ..}, ..]}`` where the list may be one bare item.

    An absent or empty container reads as no items (a failed result has no ``ResultParameters``).
    """
    if container is None or container == "":
        return Parameters()
    raw_items = fields(container, field).get(list_name)
    if raw_items is None or raw_items == "":
        return Parameters()
    listed = raw_items if isinstance(raw_items, list) else [raw_items]
    if len(listed) > MAX_ITEMS:
        raise MalformedCallback(f"{field}.{list_name}", f"more than {MAX_ITEMS} items")
    items = []
    for index, raw_item in enumerate(listed):
        item_field = f"{field}.{list_name}[{index}]"
        item = fields(raw_item, item_field)
        key = squeeze(required_text(item.get(key_name), f"{item_field}.{key_name}"))
        items.append((key, item.get("Value")))
    return Parameters(tuple(items))


def read_msisdn(value: object, field: str) -> tuple[str | None, str | None]:
    """``(msisdn, hint)`` from a payer number as Daraja sends it.

    ``msisdn`` is the normal 12-digit form, only when the value is a real number. ``hint`` is
    always safe to log: the masked number, the masked form Daraja sent (``2547*****126``) or the
    SHA-256 hex it sent (C2B v1), and None when the value is blank.
    """
    raw = text(value, field)
    if raw is None:
        return None, None
    compact = squeeze(raw)
    if _SHA256_HEX.fullmatch(compact):
        return None, compact.lower()
    if "*" in compact:  # masked by Daraja, or redacted by us at rest (the hash is dropped)
        return None, visible(compact)
    try:
        msisdn = normalise_msisdn(compact)
    except InvalidMsisdn:
        return None, mask_msisdn(compact)
    return msisdn, mask_msisdn(msisdn)


def msisdn_fits_hint(msisdn: str, hint: str) -> bool:
    """Whether a known 12-digit ``msisdn`` could be the payer behind a hashed or masked hint.

    C2B v1 hashes are the plain SHA-256 hex of the 12-digit string; masks keep a prefix and a
    suffix of digits around stars.
    """
    if _SHA256_HEX.fullmatch(hint):
        return hashlib.sha256(msisdn.encode("ascii")).hexdigest() == hint.lower()
    masked = _MASKED.fullmatch(hint)
    if masked is None:
        return msisdn == hint
    prefix, suffix = masked.groups()
    return (
        len(prefix) + len(suffix) < len(msisdn)
        and msisdn.startswith(prefix)
        and msisdn.endswith(suffix)
    )
