"""The simulated provider KYC: one phone-number shape per SIM outcome."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from integrations.kyc import ProviderKyc, SimInfo, SimulatedProviderKyc
from integrations.phone import InvalidMsisdn

NEW_YEAR_2026 = date(2026, 1, 1)
FUND_MIN_SIM_AGE = timedelta(days=90)


@pytest.fixture
def kyc() -> ProviderKyc:
    return SimulatedProviderKyc(today=NEW_YEAR_2026)


@pytest.mark.parametrize("number", ["0712345600", "0712345603", "0112345609"])
def test_a_sim_ending_00_to_09_was_registered_30_days_ago_too_young(
    kyc: ProviderKyc, number: str
) -> None:
    sim = kyc.sim_info(number)
    assert sim is not None
    assert sim.registered_on == date(2025, 12, 2)
    assert NEW_YEAR_2026 - sim.registered_on < FUND_MIN_SIM_AGE
    assert sim.mpesa_registered


def test_a_number_ending_99_is_not_on_the_network(kyc: ProviderKyc) -> None:
    assert kyc.sim_info("0712345699") is None


def test_a_number_ending_98_is_on_the_network_without_m_pesa(kyc: ProviderKyc) -> None:
    assert kyc.sim_info("0712345698") == SimInfo(
        msisdn="254712345698",
        registered_on=date(2021, 9, 21),
        mpesa_registered=False,
        monthly_inflow_minor=0,
    )


def test_a_settled_sim_with_m_pesa_receives_kes_30082_a_month(kyc: ProviderKyc) -> None:
    # 5678 % 1500 = 1178, so 365 + 1178 = 1543 days; 678 * 7919 % 60000 + 1000 = 30,082.
    assert kyc.sim_info("0712345678") == SimInfo(
        msisdn="254712345678",
        registered_on=NEW_YEAR_2026 - timedelta(days=1543),
        mpesa_registered=True,
        monthly_inflow_minor=3_008_200,
    )


@pytest.mark.parametrize("number", ["0712345610", "0722000111", "0110123456", "0799999997"])
def test_any_other_sim_is_old_enough_and_receives_kes_1000_to_61000(
    kyc: ProviderKyc, number: str
) -> None:
    sim = kyc.sim_info(number)
    assert sim is not None
    age = NEW_YEAR_2026 - sim.registered_on
    assert timedelta(days=365) <= age < timedelta(days=365 + 1500)
    assert sim.mpesa_registered
    assert 100_000 <= sim.monthly_inflow_minor <= 6_100_000
    assert sim.monthly_inflow_minor % 100 == 0


def test_the_network_answers_for_the_normalised_number(kyc: ProviderKyc) -> None:
    assert kyc.sim_info("+254 712 345 678") == kyc.sim_info("0712345678")
    sim = kyc.sim_info("712-345-678")
    assert sim is not None
    assert sim.msisdn == "254712345678"


def test_sim_age_moves_with_the_reference_date() -> None:
    later = SimulatedProviderKyc(today=date(2026, 3, 2)).sim_info("0712345603")
    assert later is not None
    assert later.registered_on == date(2026, 1, 31)


def test_a_number_that_is_not_kenyan_is_refused(kyc: ProviderKyc) -> None:
    with pytest.raises(InvalidMsisdn):
        kyc.sim_info("+255712345678")
