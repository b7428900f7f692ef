"""The provider-KYC port: what the mobile network knows about a SIM.

Provider-neutral: an adapter to the network operator or the simulator returns a ``SimInfo`` or
``None`` for a number that is not on the network. Invariant: numbers are asked about in the
12-digit form ``integrations.phone.normalise_msisdn`` returns. The fund's rules on these facts
(SIM at least 90 days old, registered for M-Pesa) live in the app, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class SimInfo:
    msisdn: str
    registered_on: date
    """The day the SIM was registered to its current owner."""
    mpesa_registered: bool
    """Whether the SIM has an M-Pesa wallet."""
    monthly_inflow_minor: int
    """Average M-Pesa money received per month, in cents (an input to the initial limit)."""


class ProviderKyc(Protocol):
    def sim_info(self, msisdn: str) -> SimInfo | None:
        """The network's facts about a normalised MSISDN, or None if it is not on the network."""
        ...
