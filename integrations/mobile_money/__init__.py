"""A borrower's mobile-money history (the wallet's statement) and a business till's: ports and
seeded simulators."""

from integrations.mobile_money.port import (
    Direction,
    MobileMoneyHistory,
    MoneyTransaction,
    TillHistory,
    TxKind,
)
from integrations.mobile_money.simulator import (
    SimulatedMobileMoneyHistory,
    profile_for,
    simulated_default_probability,
)
from integrations.mobile_money.tills import InvalidTill, SimulatedTillHistory, normalise_till

__all__ = [
    "Direction",
    "InvalidTill",
    "MobileMoneyHistory",
    "MoneyTransaction",
    "SimulatedMobileMoneyHistory",
    "SimulatedTillHistory",
    "TillHistory",
    "TxKind",
    "normalise_till",
    "profile_for",
    "simulated_default_probability",
]
