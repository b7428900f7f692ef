"""The KRA PIN's format (Kenya Revenue Authority personal identification number).

A PIN is 11 characters: ``A`` (an individual, e.g. a sole proprietor) or ``P`` (a
non-individual: a company, partnership or trust), then 9 digits, then one check letter, e.g.
``P051234567X``. We check the format only (the check letter's algorithm is not published and
KRA's iTax PIN checker is not wired): ``normalise_kra_pin`` accepts spaces and lower case and
returns the upper-case form, or raises ``InvalidKraPin``.
"""

from __future__ import annotations

import re

_PIN = re.compile(r"[AP][0-9]{9}[A-Z]")


class InvalidKraPin(ValueError):
    """Not a KRA PIN in the A/P + 9 digits + letter format."""


def normalise_kra_pin(raw: str) -> str:
    candidate = "".join(raw.split()).upper()
    if not candidate.isascii() or not _PIN.fullmatch(candidate):
        raise InvalidKraPin("a KRA PIN is A or P, then 9 digits, then a letter, e.g. P051234567X")
    return candidate
