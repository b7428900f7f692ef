"""Which mobile network, and so which wallet provider, a Kenyan number belongs to: routing.

A borrower's wallet is the one their SIM carries: a Safaricom number is paid and collected
through M-Pesa (Daraja), an Airtel number through Airtel Money. The answer is a pure function
of the number (the ranges below), stored on the borrower at opt-in; the USSD gateway's
``networkCode`` (MCC+MNC) is a second opinion, used only to log a disagreement.

Ranges: the Communications Authority of Kenya's numbering plan as published by operators and
the reference (``../shared/reference/airtel-money.md``); Airtel's are in
``integrations.airtel.numbers``. UNVERIFIED against the regulator's current allocation list,
and numbers ported between networks (mobile number portability) are not seen here: a ported
number is routed by its range. Telkom (077x, T-Kash), Equitel (0763-0766) and the rest are
``None``: no provider of ours serves them yet.
"""

from __future__ import annotations

import enum

from integrations.airtel.numbers import is_airtel_kenya
from integrations.phone import InvalidMsisdn, normalise_msisdn


class Network(enum.StrEnum):
    """A mobile network whose wallet the fund pays through (the value is stored)."""

    SAFARICOM = "safaricom"
    """M-Pesa, through Daraja."""
    AIRTEL = "airtel"
    """Airtel Money, through Airtel Africa's Open API."""


NETWORKS: tuple[str, ...] = tuple(network.value for network in Network)
PROVIDER_NAMES: dict[Network, str] = {Network.SAFARICOM: "mpesa", Network.AIRTEL: "airtel"}
"""The provider's short name: the prefix of repayment keys (``mpesa:<receipt>``) and of the
inbox's callback kinds (``airtel/disbursement``)."""

SAFARICOM_KE_PREFIXES: tuple[str, ...] = (
    *(f"2547{second}" for second in "012"),  # 0700-0729
    *(f"25474{digit}" for digit in "012358"),  # 0740-0743, 0745, 0748
    "254746",
    *(f"25475{digit}" for digit in "789"),  # 0757-0759
    "254768",
    "254769",
    "25479",  # 0790-0799
    *(f"25411{digit}" for digit in "012345"),  # 0110-0115
)
WALLET_NAMES: dict[Network, str] = {Network.SAFARICOM: "M-Pesa", Network.AIRTEL: "Airtel Money"}
"""How borrowers call the wallet, in messages."""
USSD_NETWORK_CODES: dict[str, Network] = {"63902": Network.SAFARICOM, "63903": Network.AIRTEL}
"""Africa's Talking ``networkCode`` (MCC 639 Kenya + MNC)."""


def network_of(msisdn: str) -> Network | None:
    """The network serving a Kenyan mobile number (any accepted form), or None when it is
    another network's, not a mobile number, or in no range we know."""
    try:
        number = normalise_msisdn(msisdn)
    except InvalidMsisdn:
        return None
    if is_airtel_kenya(number):
        return Network.AIRTEL
    if number.startswith(SAFARICOM_KE_PREFIXES):
        return Network.SAFARICOM
    return None


def network_of_ussd_code(network_code: str | None) -> Network | None:
    """The network a USSD gateway names (``63902`` Safaricom, ``63903`` Airtel), or None."""
    return USSD_NETWORK_CODES.get((network_code or "").strip())


def wallet_name(network: str) -> str:
    """``M-Pesa`` or ``Airtel Money`` for a stored network value."""
    return WALLET_NAMES[Network(network)]


def provider_name(network: str) -> str:
    """``mpesa`` or ``airtel`` for a stored network value (raises ``ValueError`` otherwise)."""
    return PROVIDER_NAMES[Network(network)]
