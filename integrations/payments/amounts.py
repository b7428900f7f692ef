"""Cents to the whole shillings that mobile-money APIs move, with each API's per-transaction
range. Invariant: nothing is rounded; an amount that is not whole shillings, or outside the
range, is refused before any request is sent."""

from __future__ import annotations

CENTS_PER_SHILLING = 100


class NotWholeShillings(ValueError):
    """The provider moves whole shillings only; the amount in cents is not a multiple of 100."""


class AmountOutOfRange(ValueError):
    """The amount is outside what the API accepts per transaction."""


def whole_shillings(amount_minor: int, minimum_kes: int, maximum_kes: int) -> int:
    """Cents -> whole shillings, refusing fractions of a shilling and out-of-range amounts."""
    shillings, cents = divmod(amount_minor, CENTS_PER_SHILLING)
    if cents:
        raise NotWholeShillings(f"mobile money moves whole shillings; {amount_minor} cents is not")
    if not minimum_kes <= shillings <= maximum_kes:
        raise AmountOutOfRange(f"amount must be KES {minimum_kes}..{maximum_kes}, got {shillings}")
    return shillings
