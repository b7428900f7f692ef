"""What every provider's redaction shares: a full Kenyan mobile number becomes its mask and
its keyed hash (``2547******78~<blind index>``), so a stored body holds no full number and a
payment to a phone number still finds its borrower.

A hash is written in letters only (hex digits 0-9 as ``g``-``p``, ``a``-``f`` kept): a hex
digest can hold a run such as ``0705668121``, which any scanner (ours, an auditor's) would read
as a phone number, and which redacting again would rewrite.

Invariant: ``redact_text`` leaves no full number (``2547...``, ``+2547...``, ``07...`` and the
``1`` ranges) in the text, no token holds a digit after its ``~``, and redacting twice changes
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from integrations.phone import mask_msisdn, normalise_msisdn

KeyedHash = Callable[[str, str], str]
"""``(kind, normalised value) -> hex digest``: the field keys' blind index."""
MSISDN_KIND = "msisdn"
_FULL_MSISDN = re.compile(r"(?<![0-9])(?:\+?254|0)[17][0-9]{8}(?![0-9])")
HASH_TOKEN_CHARS = 64
_TOKEN = re.compile(r"(\d{4}\*+\d{2})~([a-pA-P]{64})")
_HASH_PART = re.compile(r"~[a-pA-P]{64}")
_DIGITS_AS_LETTERS = str.maketrans("0123456789", "ghijklmnop")
_LETTERS_AS_DIGITS = str.maketrans("ghijklmnop", "0123456789")


def hash_token(hex_digest: str) -> str:
    """A hex digest written without digits, so no run of it reads as a phone number."""
    return hex_digest.lower().translate(_DIGITS_AS_LETTERS)


def hex_of_token(token: str) -> str:
    """The hex digest a ``hash_token`` stands for."""
    return token.lower().translate(_LETTERS_AS_DIGITS)


def msisdn_token(msisdn: str, keyed_hash: KeyedHash | None) -> str:
    """``2547******78~<hash>`` for a normalised 12-digit number."""
    mask = mask_msisdn(msisdn)
    return f"{mask}~{hash_token(keyed_hash(MSISDN_KIND, msisdn))}" if keyed_hash else mask


def msisdn_index_in(token: str) -> str | None:
    """The blind index of the number a redacted value stands for, or None if it is not one."""
    found = _TOKEN.fullmatch(token.strip())
    return hex_of_token(found.group(2)) if found else None


def visible(text: str) -> str:
    """What a person may be shown of a redacted value: the hashes dropped, the masks kept."""
    return _HASH_PART.sub("", text)


def redact_text(text: str, keyed_hash: KeyedHash | None) -> str:
    """Every full mobile number in free text."""
    return _FULL_MSISDN.sub(
        lambda found: msisdn_token(normalise_msisdn(found.group()), keyed_hash), text
    )
