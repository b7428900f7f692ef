"""A simulated mobile-money history: a seeded, realistic statement for any phone number.

Deterministic from (number, seed, ``today``): the same inputs always give the same statement,
from a ``random.Random`` seeded by a hash of the number and the seed (never the global random
state). The number's last digits choose a behaviour profile (table below and in
docs/simulators.md), consistent with the KYC simulator: a number the network does not know, or
without M-Pesa, has no history, and the statement starts on the day the KYC simulator says the
SIM was registered (at most ``MAX_HISTORY_DAYS`` back). Amounts scale with the KYC simulator's
monthly inflow for the number. Invariant: balances never go below zero.

=================================  =============================  ============================
last digits of ``2547XXXXXXXX``    profile                        simulated default probability
=================================  =============================  ============================
``99``                             ``no_sim`` (empty)             0.30
``98``                             ``no_mpesa`` (empty)           0.30
``00``-``09``                      ``new_sim`` (30 days, casual)  0.22
``90``-``97``                      ``dormant``                    0.25
other, last digit 0 or 5           ``salaried``                   0.04
other, last digit 1 or 6           ``casual_earner``              0.20
other, last digit 2 or 7           ``seasonal_farmer``            0.12
other, last digit 3 or 8           ``small_trader``               0.07
other, last digit 4 or 9           ``over_borrower``              0.40
=================================  =============================  ============================

The default probability is hidden from the statement: it labels simulated borrowers for an
evaluation and is for simulation only; nothing in production may read it.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta
from typing import Literal

from integrations.kyc.simulator import SimulatedProviderKyc
from integrations.mobile_money import profiles
from integrations.mobile_money.port import MoneyTransaction
from integrations.mobile_money.wallet import SimulatedWallet
from integrations.phone import normalise_msisdn

Profile = Literal[
    "no_sim",
    "no_mpesa",
    "new_sim",
    "dormant",
    "salaried",
    "casual_earner",
    "seasonal_farmer",
    "small_trader",
    "over_borrower",
]

MAX_HISTORY_DAYS = 730
"""How far back a statement goes (two years), so a statement's size has a limit."""
DEFAULT_SEED = 0
NEW_SIM_LAST_TWO_MAX = 9
DORMANT_LAST_TWO = range(90, 98)
NO_MPESA_LAST_TWO = 98
NO_SIM_LAST_TWO = 99
PROFILE_BY_LAST_DIGIT_MOD_5: tuple[Profile, ...] = (
    "salaried",
    "casual_earner",
    "seasonal_farmer",
    "small_trader",
    "over_borrower",
)
DEFAULT_PROBABILITY: dict[Profile, float] = {
    "no_sim": 0.30,
    "no_mpesa": 0.30,
    "new_sim": 0.22,
    "dormant": 0.25,
    "salaried": 0.04,
    "casual_earner": 0.20,
    "seasonal_farmer": 0.12,
    "small_trader": 0.07,
    "over_borrower": 0.40,
}
_BEHAVIOUR: dict[Profile, profiles.Behaviour] = {
    "new_sim": profiles.casual_earner,
    "dormant": profiles.dormant,
    "salaried": profiles.salaried,
    "casual_earner": profiles.casual_earner,
    "seasonal_farmer": profiles.seasonal_farmer,
    "small_trader": profiles.small_trader,
    "over_borrower": profiles.over_borrower,
}


def profile_for(msisdn: str) -> Profile:
    """The behaviour profile the simulator gives a number (any accepted way of writing it)."""
    last_two = int(normalise_msisdn(msisdn)[-2:])
    if last_two == NO_SIM_LAST_TWO:
        return "no_sim"
    if last_two == NO_MPESA_LAST_TWO:
        return "no_mpesa"
    if last_two <= NEW_SIM_LAST_TWO_MAX:
        return "new_sim"
    if last_two in DORMANT_LAST_TWO:
        return "dormant"
    return PROFILE_BY_LAST_DIGIT_MOD_5[last_two % 10 % 5]


def simulated_default_probability(msisdn: str) -> float:
    """SIMULATION ONLY: the hidden chance that this simulated borrower defaults on a loan.

    Used to label simulated borrowers in an evaluation; a real provider has no such figure.
    """
    return DEFAULT_PROBABILITY[profile_for(msisdn)]


class SimulatedMobileMoneyHistory:
    """Statements as of ``today`` (SIM ages and the statement's end depend on it)."""

    def __init__(self, today: date, seed: int = DEFAULT_SEED) -> None:
        self._today = today
        self._seed = seed
        self._kyc = SimulatedProviderKyc(today)

    def history(self, msisdn: str, since: date, until: date) -> list[MoneyTransaction]:
        msisdn = normalise_msisdn(msisdn)
        return [t for t in self._full_history(msisdn) if since <= t.at.date() <= until]

    def _full_history(self, msisdn: str) -> list[MoneyTransaction]:
        sim = self._kyc.sim_info(msisdn)
        behaviour = _BEHAVIOUR.get(profile_for(msisdn))
        if sim is None or not sim.mpesa_registered or behaviour is None:
            return []
        start = max(sim.registered_on, self._today - timedelta(days=MAX_HISTORY_DAYS))
        days = [start + timedelta(days=i) for i in range((self._today - start).days + 1)]
        # Not for security: a reproducible statement is the point.
        rng = random.Random(_seed_from(msisdn, self._seed))  # noqa: S311
        wallet = SimulatedWallet(rng)
        behaviour(rng, wallet, sim.monthly_inflow_minor, days)
        return wallet.transactions


def _seed_from(msisdn: str, seed: int) -> int:
    # hashlib, not hash(): str hashes change between interpreter runs.
    digest = hashlib.sha256(f"{seed}:{msisdn}".encode()).digest()
    return int.from_bytes(digest[:8], "big")
