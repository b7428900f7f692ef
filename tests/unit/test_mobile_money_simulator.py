"""The simulated mobile-money history: seeded, one profile per number shape, never overdrawn."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from integrations.mobile_money import (
    MobileMoneyHistory,
    MoneyTransaction,
    SimulatedMobileMoneyHistory,
    profile_for,
    simulated_default_probability,
)
from integrations.mobile_money.port import InvalidTransaction
from integrations.mobile_money.wallet import EAT

NEW_YEAR_2026 = date(2026, 1, 1)
YEAR_2025 = (date(2025, 1, 1), date(2025, 12, 31))

# The documented examples (docs/simulators.md, "Mobile-money histories").
DOCUMENTED_PROFILES = {
    "0712345699": "no_sim",
    "0712345698": "no_mpesa",
    "0712345603": "new_sim",
    "0712345690": "dormant",
    "0712345670": "salaried",
    "0110123456": "casual_earner",
    "0712345672": "seasonal_farmer",
    "0712345678": "small_trader",
    "0712345674": "over_borrower",
}


def year_2025(number: str, seed: int = 0) -> list[MoneyTransaction]:
    simulator: MobileMoneyHistory = SimulatedMobileMoneyHistory(NEW_YEAR_2026, seed=seed)
    return list(simulator.history(number, *YEAR_2025))


@pytest.mark.parametrize(("number", "profile"), DOCUMENTED_PROFILES.items())
def test_the_documented_numbers_give_the_documented_profiles(number: str, profile: str) -> None:
    assert profile_for(number) == profile


def test_the_same_number_and_seed_give_the_same_statement_however_the_number_is_written() -> None:
    assert year_2025("0712345678") == year_2025("+254 712 345 678")
    assert year_2025("0712345678") != year_2025("0712345678", seed=1)


def test_a_shorter_window_is_a_slice_of_the_longer_one() -> None:
    december = SimulatedMobileMoneyHistory(NEW_YEAR_2026).history(
        "0712345670", date(2025, 12, 1), date(2025, 12, 31)
    )
    assert december == [t for t in year_2025("0712345670") if t.at.month == 12]
    assert december


@pytest.mark.parametrize("number", ["0712345699", "0712345698"])
def test_no_sim_or_no_mpesa_means_no_history(number: str) -> None:
    assert year_2025(number) == []


def test_a_new_sim_has_only_the_30_days_since_the_kyc_simulator_registered_it() -> None:
    statement = year_2025("0712345603")
    assert statement
    assert min(t.at.date() for t in statement) >= NEW_YEAR_2026 - timedelta(days=30)


@pytest.mark.parametrize("number", DOCUMENTED_PROFILES)
def test_balances_never_go_negative_and_follow_the_amounts(number: str) -> None:
    balance = None
    for t in year_2025(number):
        assert t.balance_after_minor >= 0
        if balance is not None:
            signed = t.amount_minor if t.direction == "in" else -t.amount_minor
            assert t.balance_after_minor == balance + signed
        balance = t.balance_after_minor


@pytest.mark.parametrize("number", DOCUMENTED_PROFILES)
def test_amounts_are_positive_whole_shillings_in_integer_cents_in_time_order(number: str) -> None:
    statement = year_2025(number)
    assert all(type(t.amount_minor) is int and t.amount_minor > 0 for t in statement)
    assert all(t.amount_minor % 100 == 0 for t in statement)
    assert [t.at for t in statement] == sorted(t.at for t in statement)


def test_profiles_look_like_their_names() -> None:
    trader, salaried = year_2025("0712345678"), year_2025("0712345670")
    borrower, dormant = year_2025("0712345674"), year_2025("0712345690")
    assert sum(t.kind == "till" and t.direction == "in" for t in trader) > 1000
    assert sum(t.kind == "salary" for t in salaried) == 12
    assert len({t.counterparty for t in borrower if t.kind == "lender_disbursement"}) >= 3
    assert not any(t.kind.startswith("lender") for t in salaried)
    assert len(dormant) < 60


def test_the_hidden_default_probability_ranks_the_profiles() -> None:
    salaried = simulated_default_probability("0712345670")
    trader = simulated_default_probability("0712345678")
    over_borrower = simulated_default_probability("0712345674")
    assert 0 < salaried < trader < over_borrower < 1


def test_a_transaction_refuses_a_zero_amount_a_negative_balance_or_a_naive_time() -> None:
    aware = datetime(2026, 1, 1, 9, tzinfo=EAT)
    with pytest.raises(InvalidTransaction):
        MoneyTransaction(aware, 0, "in", "p2p", "P-1", 0)
    with pytest.raises(InvalidTransaction):
        MoneyTransaction(aware, 100, "out", "p2p", "P-1", -100)
    with pytest.raises(InvalidTransaction):
        MoneyTransaction(aware.replace(tzinfo=None), 100, "in", "p2p", "P-1", 100)
