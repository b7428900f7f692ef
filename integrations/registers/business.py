"""The business register (the Business Registration Service, BRS): business registration
numbers, beside the group register of ``port.py``.

A business registered on eCitizen has a number ``BN-<7 letters or digits>`` (a business
name: a sole proprietorship or partnership) or ``PVT-<7 letters or digits>`` (a private
limited company), e.g. ``BN-2WCDR5K``, ``PVT-AJU7QL9``. ``normalise_business_number``
accepts spaces, lower case and a missing hyphen and returns that form, or raises
``InvalidRegistrationNumber``. A lookup answers a ``BusinessRegistration`` or ``None`` for a
number the register does not know; the status is the group register's
(``RegistrationStatus``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from integrations.registers.port import InvalidRegistrationNumber, RegistrationStatus

_NUMBER = re.compile(r"(BN|PVT)-?([A-Z0-9]{7})")


@dataclass(frozen=True, slots=True)
class BusinessRegistration:
    number: str
    """Normalised, e.g. ``PVT-AJU7QL9``."""
    name: str
    status: RegistrationStatus


class BusinessRegister(Protocol):
    def lookup_business(self, number: str) -> BusinessRegistration | None:
        """The register's record for a normalised number, or None if it is unknown."""
        ...


def normalise_business_number(raw: str) -> str:
    """``pvt aju7ql9`` -> ``PVT-AJU7QL9``; anything else is refused."""
    candidate = "".join(raw.split()).upper()
    match = _NUMBER.fullmatch(candidate) if candidate.isascii() else None
    if match is None:
        raise InvalidRegistrationNumber(
            "a business registration number is BN- or PVT- followed by 7 letters or digits"
        )
    return f"{match.group(1)}-{match.group(2)}"
