"""A borrower's mobile-money history (the wallet's statement): a port and a seeded simulator."""

from integrations.mobile_money.port import Direction, MobileMoneyHistory, MoneyTransaction, TxKind
from integrations.mobile_money.simulator import (
    SimulatedMobileMoneyHistory,
    profile_for,
    simulated_default_probability,
)

__all__ = [
    "Direction",
    "MobileMoneyHistory",
    "MoneyTransaction",
    "SimulatedMobileMoneyHistory",
    "TxKind",
    "profile_for",
    "simulated_default_probability",
]
