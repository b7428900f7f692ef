"""What every provider's redaction shares: a full Kenyan mobile number becomes its mask and
its keyed hash (``2547******78~<blind index>``), so a stored body holds no full number and a
payment to a phone number still finds its borrower.

Invariant: ``redact_text`` leaves no full number (``2547...``, ``+2547...``, ``07...`` and the
``1`` ranges) in the text, and redacting twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from integrations.phone import mask_msisdn, normalise_msisdn

KeyedHash = Callable[[str, str], str]
"""``(kind, normalised value) -> hex digest``: the field keys' blind index."""
MSISDN_KIND = "msisdn"
_FULL_MSISDN = re.compile(r"(?<![0-9])(?:\+?254|0)[17][0-9]{8}(?![0-9])")
_TOKEN = re.compile(r"(\d{4}\*+\d{2})~([0-9a-fA-F]{64})")
_HASH_PART = re.compile(r"~[0-9a-fA-F]{64}")


def msisdn_token(msisdn: str, keyed_hash: KeyedHash | None) -> str:
    """``2547******78~<hash>`` for a normalised 12-digit number."""
    mask = mask_msisdn(msisdn)
    return f"{mask}~{keyed_hash(MSISDN_KIND, msisdn)}" if keyed_hash else mask


def msisdn_index_in(token: str) -> str | None:
    """The blind index of the number a redacted value stands for, or None if it is not one."""
    found = _TOKEN.fullmatch(token.strip())
    return found.group(2).lower() if found else None


def visible(text: str) -> str:
    """What a person may be shown of a redacted value: the hashes dropped, the masks kept."""
    return _HASH_PART.sub("", text)


def redact_text(text: str, keyed_hash: KeyedHash | None) -> str:
    """Every full mobile number in free text."""
    return _FULL_MSISDN.sub(
        lambda found: msisdn_token(normalise_msisdn(found.group()), keyed_hash), text
    )
