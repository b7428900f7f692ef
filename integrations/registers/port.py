"""The group-register port: what the registrar says about a group's registration number.

Self-help groups register with the Micro and Small Enterprises Authority (MSEA) or the State
Department for Social Protection (a Social Services certificate). A number is written
``MSEA/<5-8 digits>`` or ``SS/<5-8 digits>`` (the scheme's prefix, a slash, the serial);
``normalise_registration_number`` accepts spaces and lower case and returns that form, or
raises ``InvalidRegistrationNumber``. An adapter (or the simulator) answers a lookup with a
``GroupRegistration`` or ``None`` for a number the register does not know.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Protocol

_NUMBER = re.compile(r"(MSEA|SS)/([0-9]{5,8})")


class InvalidRegistrationNumber(ValueError):
    """Not a registration number in either scheme's form."""


class RegistrationStatus(enum.StrEnum):
    ACTIVE = "active"
    DEREGISTERED = "deregistered"


@dataclass(frozen=True, slots=True)
class GroupRegistration:
    number: str
    """Normalised, e.g. ``MSEA/1234567``."""
    name: str
    status: RegistrationStatus


class GroupRegister(Protocol):
    def lookup(self, number: str) -> GroupRegistration | None:
        """The register's record for a normalised number, or None if it is unknown."""
        ...


def normalise_registration_number(raw: str) -> str:
    """``msea / 1234567`` -> ``MSEA/1234567``; anything else is refused."""
    candidate = "".join(raw.split()).upper()
    if not candidate.isascii() or not _NUMBER.fullmatch(candidate):
        raise InvalidRegistrationNumber(
            "a group registration number is MSEA/ or SS/ followed by 5 to 8 digits"
        )
    return candidate
