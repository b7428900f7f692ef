"""Money arithmetic and formatting in integer cents. Shares are basis points (10,000 = 100%)."""

from __future__ import annotations

BP = 10_000
SHILLING = 100
"""Cents in a shilling: amounts in shillings are multiples of it."""


def share_of(amount_minor: int, share_bp: int) -> int:
    """``amount * share``, rounded down to the cent (the remainder stays with the rest)."""
    return amount_minor * share_bp // BP


def kes(amount_minor: int) -> str:
    """``KES 1,234.50``: how amounts are written to borrowers (USSD, SMS)."""
    sign = "-" if amount_minor < 0 else ""
    shillings, cents = divmod(abs(amount_minor), 100)
    return f"{sign}KES {shillings:,}.{cents:02d}"
