"""Rounding exact amounts to the cent or to the whole shilling, half to even.

Amounts arrive as exact fractions of a cent (``fractions.Fraction``, never ``float``) and leave
as integer cents. Half to even ("banker's rounding") is the rounding of the published schedules
we reproduce (Apache Fineract's default) and is unbiased over a book of loans.
"""

from __future__ import annotations

import enum
import math
from fractions import Fraction

CENTS_PER_SHILLING = 100


class Rounding(enum.StrEnum):
    """How the instalments of a product are rounded (the remainder goes to the last one)."""

    CENTS = "cents"
    SHILLINGS = "shillings"

    @property
    def unit_minor(self) -> int:
        """The unit instalments are rounded to, in cents."""
        return 1 if self is Rounding.CENTS else CENTS_PER_SHILLING


def to_cents(amount_minor: Fraction) -> int:
    """An exact amount of cents to the nearest whole cent, a half to the even cent."""
    return round(amount_minor)


def to_unit(amount_minor: Fraction, unit_minor: int) -> int:
    """An exact amount of cents to the nearest multiple of ``unit_minor``, a half to even."""
    return unit_minor * round(amount_minor / unit_minor)


def down_to_unit(amount_minor: Fraction, unit_minor: int) -> int:
    """An exact amount of cents down to a multiple of ``unit_minor`` (never overstates it)."""
    return unit_minor * math.floor(amount_minor / unit_minor)
