"""A simulated business till / paybill statement: customers' payments in, suppliers out.

A business's cash flow is read from its M-Pesa till or paybill number (5 to 7 digits,
``normalise_till``). ``SimulatedTillHistory.history(till, since, until)`` answers the
transactions of those days (both inclusive) in the port's ``MoneyTransaction`` form,
deterministic from (till, seed, day): each day's amounts come from a ``random.Random``
seeded by a hash of the three, so a day's takings are the same in every window asked.
No I/O, no global random state. Documented inputs, on the till number:

==========================  ======================================================
till number                 statement
==========================  ======================================================
ends with ``00``            none (a till that takes no payments: no cash flow)
last digit ``d``            takings about KES 100,000 x (d + 1) a month (100k-1M)
second-last digit ``e``     outflows about (50 + 5e)% of the takings (50%-95%)
==========================  ======================================================

Trading days are Monday to Saturday (26 a month or so): 5-15 customer payments (``till``,
in) sharing about a 26th of the monthly takings (+-30% per day), then one supplier payment
(``paybill``, out) of the day's outflow share, paid from the balance (never below zero).
So the average monthly net inflow is about takings x (50 - 5e)%, e.g. till ``123454``:
KES 500,000 x 25% = KES 125,000.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, time, timedelta

from integrations.mobile_money.port import MoneyTransaction
from integrations.mobile_money.wallet import CENTS_PER_SHILLING, EAT

SILENT_SUFFIX = "00"
TAKINGS_UNIT_MINOR = 100_000 * CENTS_PER_SHILLING
TRADING_DAYS_A_MONTH = 26
SUNDAY = 6
MIN_SALES, MAX_SALES = 5, 15
DAY_SPREAD = 0.3
OPEN_HOUR = 8
SUPPLIER_HOUR = 19


class InvalidTill(ValueError):
    """Not a till or paybill number (5 to 7 digits)."""


def normalise_till(raw: str) -> str:
    candidate = "".join(raw.split())
    if not (candidate.isascii() and candidate.isdigit() and 5 <= len(candidate) <= 7):
        raise InvalidTill("a till or paybill number is 5 to 7 digits")
    return candidate


def monthly_takings_minor(till: str) -> int:
    """The simulated takings of a month (documented above)."""
    return TAKINGS_UNIT_MINOR * (int(till[-1]) + 1)


def outflow_share_pct(till: str) -> int:
    return 50 + 5 * int(till[-2])


class SimulatedTillHistory:
    def __init__(self, seed: int = 0) -> None:
        self._seed = seed

    def history(self, till: str, since: date, until: date) -> list[MoneyTransaction]:
        till = normalise_till(till)
        if till.endswith(SILENT_SUFFIX):
            return []
        out: list[MoneyTransaction] = []
        balance = 0
        day = since
        while day <= until:
            if day.weekday() != SUNDAY:
                balance = self._day(till, day, balance, out)
            day += timedelta(days=1)
        return out

    def _day(self, till: str, day: date, balance: int, out: list[MoneyTransaction]) -> int:
        # Not for security: a reproducible statement is the point.
        rng = random.Random(_seed_from(self._seed, till, day))  # noqa: S311
        target = monthly_takings_minor(till) / TRADING_DAYS_A_MONTH
        takings = target * rng.uniform(1 - DAY_SPREAD, 1 + DAY_SPREAD)
        sales = rng.randint(MIN_SALES, MAX_SALES)
        received = 0
        for n in range(sales):
            amount = _shillings(takings / sales)
            balance += amount
            received += amount
            at = datetime.combine(day, time(OPEN_HOUR, 0), tzinfo=EAT) + timedelta(minutes=n * 30)
            customer = f"cust-{rng.getrandbits(32):08X}"
            out.append(MoneyTransaction(at, amount, "in", "till", customer, balance))
        paid = min(_shillings(received * outflow_share_pct(till) / 100), balance)
        if paid > 0:
            balance -= paid
            at = datetime.combine(day, time(SUPPLIER_HOUR, 0), tzinfo=EAT)
            supplier = f"supp-{int(till) % 7:02d}"
            out.append(MoneyTransaction(at, paid, "out", "paybill", supplier, balance))
        return balance


def _shillings(amount_minor: float) -> int:
    return max(1, round(amount_minor / CENTS_PER_SHILLING)) * CENTS_PER_SHILLING


def _seed_from(seed: int, till: str, day: date) -> int:
    digest = hashlib.sha256(f"{seed}:till:{till}:{day.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big")
