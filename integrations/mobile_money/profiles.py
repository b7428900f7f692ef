"""How each simulated kind of borrower uses their wallet, one day at a time.

Each behaviour takes the seeded ``random.Random``, the wallet, the borrower's typical monthly
inflow (the KYC simulator's figure, in cents) and the days to simulate. Amounts are scaled to
that inflow, so a borrower's statement agrees with what the KYC simulator says they receive.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date

from integrations.mobile_money.wallet import CENTS_PER_SHILLING, SimulatedWallet

Behaviour = Callable[[random.Random, SimulatedWallet, int, Sequence[date]], None]

SALARY_DAY = 25
RENT_DAY = 2
HARVEST_MONTHS = frozenset({7, 8, 12})
SCHOOL_FEE_MONTHS = frozenset({1, 5, 9})
PLANTING_MONTHS = frozenset({3, 10})
AIRTIME_MIN_SHILLINGS = 20
AIRTIME_MAX_SHILLINGS = 100
OTHER_LENDERS = 4
LENDER_MARKUP = 1.1
"""What another app lender asks back per shilling lent (about 10% per loan)."""


def _about(rng: random.Random, amount_minor: float, spread: float = 0.3) -> int:
    return max(CENTS_PER_SHILLING, round(amount_minor * rng.uniform(1 - spread, 1 + spread)))


def _pool(rng: random.Random, prefix: str, size: int) -> list[str]:
    """Opaque counterparty ids, distinct per borrower because they come from the seeded rng."""
    return [f"{prefix}-{rng.getrandbits(32):08X}" for _ in range(size)]


def _airtime(rng: random.Random, wallet: SimulatedWallet, day: date, chance: float) -> None:
    if rng.random() < chance:
        shillings = rng.randint(AIRTIME_MIN_SHILLINGS, AIRTIME_MAX_SHILLINGS)
        wallet.pay(day, shillings * CENTS_PER_SHILLING, "airtime", "AIRTIME")


def salaried(
    rng: random.Random, wallet: SimulatedWallet, income: int, days: Sequence[date]
) -> None:
    """One salary on the 25th; rent and power by paybill early in the month; shop at tills."""
    employer, landlord, power = _pool(rng, "ORG", 3)
    family, shops = _pool(rng, "P", 12), _pool(rng, "TILL", 15)
    for day in days:
        if day.day == SALARY_DAY:
            wallet.receive(day, _about(rng, income * 0.95, 0.02), "salary", employer)
        if day.day == RENT_DAY:
            wallet.pay(day, round(income * 0.3), "paybill", landlord)
            wallet.pay(day, _about(rng, income * 0.05), "paybill", power)
        if day.day == SALARY_DAY + 1:
            wallet.pay(day, _about(rng, income * 0.2), "agent_withdrawal", "AGENT")
        if rng.random() < 0.5:
            wallet.pay(day, _about(rng, income * 0.012), "till", rng.choice(shops))
        if rng.random() < 0.15:
            wallet.pay(day, _about(rng, income * 0.03), "p2p", rng.choice(family))
        if rng.random() < 0.05:
            wallet.pay(day, _about(rng, income * 0.05), "agent_withdrawal", "AGENT")
        if rng.random() < 0.05:
            wallet.receive(day, _about(rng, income * 0.02), "p2p", rng.choice(family))
        _airtime(rng, wallet, day, 0.1)


def small_trader(
    rng: random.Random, wallet: SimulatedWallet, income: int, days: Sequence[date]
) -> None:
    """Many small till payments from customers every day; a supplier paid every Monday."""
    customers, supplier, family = _pool(rng, "P", 150), _pool(rng, "ORG", 1)[0], _pool(rng, "P", 5)
    for day in days:
        sales = rng.randint(1, 5) if day.weekday() == 6 else rng.randint(4, 11)
        for _ in range(sales):
            wallet.receive(day, _about(rng, income / 210, 0.6), "till", rng.choice(customers))
        if day.weekday() == 0:
            wallet.pay(day, _about(rng, income * 0.15), "paybill", supplier)
        if rng.random() < 0.3:
            wallet.pay(day, _about(rng, income * 0.03), "agent_withdrawal", "AGENT")
        if rng.random() < 0.1:
            wallet.pay(day, _about(rng, income * 0.03), "p2p", rng.choice(family))
        _airtime(rng, wallet, day, 0.2)


def seasonal_farmer(
    rng: random.Random, wallet: SimulatedWallet, income: int, days: Sequence[date]
) -> None:
    """Weekly crop payments in harvest months, little otherwise; fees and inputs in lumps."""
    buyers, family = _pool(rng, "P", 4), _pool(rng, "P", 8)
    school, agrovet = _pool(rng, "ORG", 1)[0], _pool(rng, "TILL", 1)[0]
    for day in days:
        if day.month in HARVEST_MONTHS and day.weekday() == 4:
            wallet.receive(day, _about(rng, income * 0.6), "p2p", rng.choice(buyers))
        elif rng.random() < 0.1:
            wallet.receive(day, _about(rng, income * 0.1), "p2p", rng.choice(family))
        if day.day == 10 and day.month in SCHOOL_FEE_MONTHS:
            wallet.pay(day, _about(rng, income, 0.1), "paybill", school)
        if day.day == 15 and day.month in PLANTING_MONTHS:
            wallet.pay(day, _about(rng, income * 0.8), "till", agrovet)
        if rng.random() < 0.25:
            wallet.pay(day, _about(rng, income * 0.03), "p2p", rng.choice(family))
        if rng.random() < 0.4:
            wallet.pay(day, _about(rng, income * 0.03), "till", agrovet)
        _airtime(rng, wallet, day, 0.1)


def casual_earner(
    rng: random.Random, wallet: SimulatedWallet, income: int, days: Sequence[date]
) -> None:
    """Paid by whoever hired them that day; some months almost nothing comes in."""
    employers, friends, shops = _pool(rng, "P", 40), _pool(rng, "P", 10), _pool(rng, "TILL", 8)
    lean_month = (0, 0)
    lean = False
    for day in days:
        if (day.year, day.month) != lean_month:
            lean_month, lean = (day.year, day.month), rng.random() < 0.3
        if rng.random() < (0.08 if lean else 0.25):
            wallet.receive(day, _about(rng, income / 7.5, 0.7), "p2p", rng.choice(employers))
            wallet.pay(day, wallet.balance_minor // 2, "agent_withdrawal", "AGENT")
        if rng.random() < 0.1:
            wallet.receive(day, _about(rng, income * 0.05), "agent_deposit", "AGENT")
        if rng.random() < 0.4:
            wallet.pay(day, _about(rng, income * 0.02), "till", rng.choice(shops))
        if rng.random() < 0.1:
            wallet.pay(day, _about(rng, income * 0.03), "p2p", rng.choice(friends))
        _airtime(rng, wallet, day, 0.3)


def over_borrower(
    rng: random.Random, wallet: SimulatedWallet, income: int, days: Sequence[date]
) -> None:
    """Borrows from several app lenders, repays one with another, often only in part."""
    lenders, payers = _pool(rng, "LENDER", OTHER_LENDERS), _pool(rng, "P", 30)
    shops, betting = _pool(rng, "TILL", 10), _pool(rng, "ORG", 1)[0]
    owed_minor = dict.fromkeys(lenders, 0)
    for day in days:
        if rng.random() < 0.4:
            wallet.receive(day, _about(rng, income / 12, 0.6), "p2p", rng.choice(payers))
        if rng.random() < 0.12:
            lender = rng.choice(lenders)
            lent_minor = _about(rng, income * 0.25, 0.6)
            wallet.receive(day, lent_minor, "lender_disbursement", lender)
            owed_minor[lender] += round(lent_minor * LENDER_MARKUP)
        if rng.random() < 0.15:
            lender = max(owed_minor, key=lambda name: owed_minor[name])
            due_minor = min(owed_minor[lender], round(wallet.balance_minor * 0.8))
            if due_minor >= CENTS_PER_SHILLING:
                owed_minor[lender] -= wallet.pay(day, due_minor, "lender_repayment", lender)
        if rng.random() < 0.6:
            wallet.pay(day, _about(rng, income * 0.05), "till", rng.choice(shops))
        if rng.random() < 0.1:
            wallet.pay(day, _about(rng, income * 0.05), "paybill", betting)
        _airtime(rng, wallet, day, 0.3)


def dormant(rng: random.Random, wallet: SimulatedWallet, income: int, days: Sequence[date]) -> None:
    """A wallet that is hardly used: the odd deposit and some airtime."""
    for day in days:
        if rng.random() < 0.03:
            wallet.receive(day, _about(rng, income * 0.05), "agent_deposit", "AGENT")
        _airtime(rng, wallet, day, 0.02)
