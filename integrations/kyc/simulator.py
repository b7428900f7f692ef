"""A simulated provider KYC that answers deterministically from the phone number's digits.

No randomness, no I/O: the same number and reference date always give the same facts. The
number is normalised first (``0712345678`` and ``+254712345678`` are the same SIM); rules,
on the last digits of the 12-digit form:

=================  ===============================================================================
last digits        network answers
=================  ===============================================================================
``00``-``09``      SIM registered 30 days before the reference date (too young: the fund needs
                   at least 90 days); M-Pesa registered, inflow as below
``99``             not on the network (``None``)
``98``             on the network (registered as below) but not registered for M-Pesa; inflow 0
any other          registered ``365 + (last 4 digits % 1500)`` days before the reference date,
                   M-Pesa registered, monthly inflow ``(last 3 digits * 7919 % 60000 + 1000)``
                   shillings, i.e. KES 1,000-61,000 (returned in cents)
=================  ===============================================================================
"""

from __future__ import annotations

from datetime import date, timedelta

from integrations.kyc.provider import SimInfo
from integrations.phone import normalise_msisdn

CENTS_PER_SHILLING = 100
YOUNG_SIM_LAST_TWO_MAX = 9
YOUNG_SIM_AGE_DAYS = 30
NOT_ON_NETWORK_LAST_TWO = 99
NO_MPESA_LAST_TWO = 98
SETTLED_SIM_MIN_AGE_DAYS = 365
SETTLED_SIM_AGE_SPREAD_DAYS = 1500
# A prime multiplier spreads consecutive numbers across the inflow range.
INFLOW_MULTIPLIER = 7919
INFLOW_SPREAD_SHILLINGS = 60_000
INFLOW_MIN_SHILLINGS = 1_000


class SimulatedProviderKyc:
    """The network's answers as of ``today`` (SIM ages depend on it, so tests fix it)."""

    def __init__(self, today: date) -> None:
        self._today = today

    def sim_info(self, msisdn: str) -> SimInfo | None:
        msisdn = normalise_msisdn(msisdn)
        last_two = int(msisdn[-2:])
        if last_two == NOT_ON_NETWORK_LAST_TWO:
            return None
        inflow_minor = _monthly_inflow_minor(msisdn)
        if last_two <= YOUNG_SIM_LAST_TWO_MAX:
            registered_on = self._today - timedelta(days=YOUNG_SIM_AGE_DAYS)
            return SimInfo(
                msisdn, registered_on, mpesa_registered=True, monthly_inflow_minor=inflow_minor
            )
        registered_on = self._today - timedelta(days=_settled_sim_age_days(msisdn))
        if last_two == NO_MPESA_LAST_TWO:
            return SimInfo(msisdn, registered_on, mpesa_registered=False, monthly_inflow_minor=0)
        return SimInfo(
            msisdn, registered_on, mpesa_registered=True, monthly_inflow_minor=inflow_minor
        )


def _settled_sim_age_days(msisdn: str) -> int:
    return SETTLED_SIM_MIN_AGE_DAYS + int(msisdn[-4:]) % SETTLED_SIM_AGE_SPREAD_DAYS


def _monthly_inflow_minor(msisdn: str) -> int:
    shillings = (
        int(msisdn[-3:]) * INFLOW_MULTIPLIER % INFLOW_SPREAD_SHILLINGS + INFLOW_MIN_SHILLINGS
    )
    return shillings * CENTS_PER_SHILLING
