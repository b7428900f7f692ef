"""The mobile-money history port: a wallet's transactions in provider-neutral form.

An adapter (a provider's statement API, a parsed SMS log, the simulator) turns its own payloads
into ``MoneyTransaction`` values; nothing past the adapter sees a provider's field names.
Invariants: amounts are positive integer cents, the direction says which way the money went,
times are timezone-aware, and ``balance_after_minor`` is the wallet balance after the
transaction (never negative: a wallet cannot go below zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

Direction = Literal["in", "out"]
TxKind = Literal[
    "p2p",
    "paybill",
    "till",
    "salary",
    "lender_disbursement",
    "lender_repayment",
    "agent_deposit",
    "agent_withdrawal",
    "airtime",
]


class InvalidTransaction(ValueError):
    """A transaction breaks the port's invariants (amount, balance or naive time)."""


@dataclass(frozen=True)
class MoneyTransaction:
    at: datetime
    """When the transaction completed (timezone-aware)."""
    amount_minor: int
    """How much moved, in cents, always > 0; ``direction`` gives the sign."""
    direction: Direction
    """``in``: money received by the wallet; ``out``: money sent or spent."""
    kind: TxKind
    """What sort of movement it was (a person, a bill, a shop, a lender, an agent...)."""
    counterparty: str
    """An opaque id of the other party, stable within one history (not a name or number)."""
    balance_after_minor: int
    """The wallet balance in cents right after the transaction (>= 0)."""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InvalidTransaction("transaction time must be timezone-aware")
        if self.amount_minor <= 0:
            raise InvalidTransaction("amount_minor must be positive")
        if self.balance_after_minor < 0:
            raise InvalidTransaction("balance_after_minor must not be negative")


class MobileMoneyHistory(Protocol):
    def history(self, msisdn: str, since: date, until: date) -> Sequence[MoneyTransaction]:
        """The wallet's transactions from ``since`` to ``until`` (both inclusive), oldest first.

        Empty for a number with no wallet or no activity in the period.
        """
        ...


class TillHistory(Protocol):
    def history(self, till: str, since: date, until: date) -> Sequence[MoneyTransaction]:
        """A business till's or paybill's transactions, ``since`` to ``until`` inclusive."""
        ...
