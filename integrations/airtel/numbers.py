"""Airtel Kenya numbers: the port's 12-digit form to the 9-digit national form Airtel's API
takes (no country code, no leading 0), and which numbers Airtel Kenya serves.

The prefix list is UNVERIFIED (reference: the regulator's 2019 list lacks 0762 and 0780-0784);
it decides nothing in the client, only the simulator's refusals and, later, the app's routing.
"""

from __future__ import annotations

from integrations.phone import COUNTRY_CODE, normalise_msisdn

AIRTEL_KE_PREFIXES: tuple[str, ...] = (
    *(f"2547{third}" for third in ("3", "8")),  # 073x, 078x
    *(f"25475{digit}" for digit in "0123456"),  # 0750-0756
    "254762",
    *(f"25410{digit}" for digit in "012"),  # 0100-0102
)
NATIONAL_DIGITS = 9


def national_number(msisdn: str) -> str:
    """``254733123456`` (or any accepted form) -> ``733123456``."""
    return normalise_msisdn(msisdn).removeprefix(COUNTRY_CODE)


def international_number(national: str) -> str:
    """``733123456`` -> ``254733123456`` (raises ``InvalidMsisdn`` for anything else)."""
    return normalise_msisdn(national)


def is_airtel_kenya(msisdn: str) -> bool:
    """Whether the (normalised) number is in an Airtel Kenya range."""
    return normalise_msisdn(msisdn).startswith(AIRTEL_KE_PREFIXES)
