"""Kenyan mobile numbers (MSISDNs): one normal form, and a mask for logs.

Invariant: every number past the edge of the system is the 12-digit international form
``2547XXXXXXXX`` or ``2541XXXXXXXX`` (Safaricom, Airtel and Telkom mobile ranges), and a log line
shows a number only through ``mask_msisdn``.

Written by hand rather than with ``phonenumbers``: the fund serves one country and two mobile
ranges, and the accepted shapes fit in three patterns.
"""

from __future__ import annotations

import re

COUNTRY_CODE = "254"
MASK_KEEP_FIRST = 4
MASK_KEEP_LAST = 2
MASK_CHAR = "*"

# Separators people type or paste: spaces (any Unicode space) and dashes.
_SEPARATORS = re.compile(r"[\s-]+")
# The subscriber part: a mobile range digit (7 or 1) and 8 more digits. ASCII digits only, so
# lookalike digits from other scripts are refused rather than silently accepted.
_SUBSCRIBER = "[17][0-9]{8}"
_INTERNATIONAL = re.compile(rf"\+?{COUNTRY_CODE}({_SUBSCRIBER})")
_NATIONAL = re.compile(rf"0({_SUBSCRIBER})")
_BARE = re.compile(rf"({_SUBSCRIBER})")


class InvalidMsisdn(ValueError):
    """Not a Kenyan mobile number in any accepted shape."""


def normalise_msisdn(raw: str) -> str:
    """Return ``2547XXXXXXXX`` / ``2541XXXXXXXX`` for any accepted way of writing the number.

    Accepted: ``07XXXXXXXX``, ``01XXXXXXXX``, ``2547XXXXXXXX``, ``+2547XXXXXXXX`` (and the ``1``
    ranges), ``7XXXXXXXX``, ``1XXXXXXXX``, with spaces or dashes anywhere.
    """
    compact = _SEPARATORS.sub("", raw)
    for pattern in (_INTERNATIONAL, _NATIONAL, _BARE):
        match = pattern.fullmatch(compact)
        if match is not None:
            return COUNTRY_CODE + match.group(1)
    # The raw value is not echoed: it may be a full phone number.
    raise InvalidMsisdn("not a Kenyan mobile number (07XX XXX XXX, 01XX XXX XXX or +254...)")


def mask_msisdn(msisdn: str) -> str:
    """Show the first 4 and last 2 digits (``2547******78``); mask short values entirely."""
    hidden = len(msisdn) - MASK_KEEP_FIRST - MASK_KEEP_LAST
    if hidden <= 0:
        return MASK_CHAR * len(msisdn)
    return msisdn[:MASK_KEEP_FIRST] + MASK_CHAR * hidden + msisdn[-MASK_KEEP_LAST:]
