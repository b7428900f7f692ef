"""A simulated wallet that records transactions and never lets its balance go below zero.

Invariant: every amount is a positive whole number of shillings (in cents), and a payment
larger than the balance is cut down to the balance (a wallet cannot overdraw), or dropped
when the wallet is empty.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from integrations.mobile_money.port import Direction, MoneyTransaction, TxKind

EAT = timezone(timedelta(hours=3), "EAT")
CENTS_PER_SHILLING = 100
FIRST_HOUR = 7
LAST_HOUR = 21


class SimulatedWallet:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.balance_minor = 0
        self.transactions: list[MoneyTransaction] = []

    def receive(self, day: date, amount_minor: int, kind: TxKind, counterparty: str) -> None:
        amount_minor = _whole_shillings(amount_minor)
        self.balance_minor += amount_minor
        self._record(day, amount_minor, "in", kind, counterparty)

    def pay(self, day: date, amount_minor: int, kind: TxKind, counterparty: str) -> int:
        """Pay up to the balance; returns what was paid (0 when the wallet is empty)."""
        amount_minor = min(_whole_shillings(amount_minor), self.balance_minor)
        if amount_minor <= 0:
            return 0
        self.balance_minor -= amount_minor
        self._record(day, amount_minor, "out", kind, counterparty)
        return amount_minor

    def _record(
        self, day: date, amount_minor: int, direction: Direction, kind: TxKind, counterparty: str
    ) -> None:
        at = datetime.combine(
            day,
            time(self._rng.randint(FIRST_HOUR, LAST_HOUR), self._rng.randint(0, 59)),
            tzinfo=EAT,
        )
        # Times within a day are drawn independently; keep the statement in order anyway.
        if self.transactions and at < self.transactions[-1].at:
            at = self.transactions[-1].at + timedelta(seconds=1)
        self.transactions.append(
            MoneyTransaction(
                at=at,
                amount_minor=amount_minor,
                direction=direction,
                kind=kind,
                counterparty=counterparty,
                balance_after_minor=self.balance_minor,
            )
        )


def _whole_shillings(amount_minor: int) -> int:
    """Round to whole shillings (M-Pesa moves no cents), at least one shilling."""
    return max(1, round(amount_minor / CENTS_PER_SHILLING)) * CENTS_PER_SHILLING
