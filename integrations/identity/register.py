"""The identity-register port: what the population register says about a national ID.

Provider-neutral: an adapter to the real register (IPRS) or the simulator returns an
``IdentityRecord`` or ``None`` for an ID the register does not know. Invariant: IDs are compared
and looked up only in the form ``normalise_national_id`` returns (6-9 ASCII digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

# Kenyan national ID card numbers are 6 to 9 digits. ASCII digits only: digits from other
# scripts would otherwise pass ``str.isdigit`` and break lookups and blind indexes.
_NATIONAL_ID = re.compile(r"[0-9]{6,9}")


class InvalidNationalId(ValueError):
    """Not a Kenyan national ID number (6-9 digits)."""


class DateOfBirthInFuture(ValueError):
    """A date of birth after the date an age is asked for: there is no age to give."""


@dataclass(frozen=True)
class IdentityRecord:
    national_id: str
    full_name: str
    date_of_birth: date


class IdentityRegister(Protocol):
    def lookup(self, national_id: str) -> IdentityRecord | None:
        """The register's record for a normalised national ID, or None if the ID is unknown."""
        ...


def normalise_national_id(raw: str) -> str:
    """Strip spaces and upper-case; the result must be 6-9 digits."""
    candidate = raw.replace(" ", "").strip().upper()
    if not _NATIONAL_ID.fullmatch(candidate):
        # The raw value is not echoed: it may be a real ID number.
        raise InvalidNationalId("a national ID is 6 to 9 digits")
    return candidate


def turns(date_of_birth: date, years: int) -> date:
    """The day someone born on ``date_of_birth`` turns ``years`` old: the birthday in that
    year, 1 March for someone born on 29 February when that year is common (as ``age_on``)."""
    year = date_of_birth.year + years
    try:
        return date_of_birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years lived on ``on``; one year more from the birthday itself.

    A person born on 29 February turns a year older on 1 March in common years (their
    birthday has not yet come on 28 February).
    """
    if date_of_birth > on:
        raise DateOfBirthInFuture("the date of birth is after the date the age is asked for")
    birthday_not_yet = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(birthday_not_yet)
