"""Routing: a borrower's wallet provider follows their number; the USSD gateway's network
code is read as a second opinion."""

from __future__ import annotations

import pytest

from integrations.airtel.numbers import AIRTEL_KE_PREFIXES
from integrations.payments.networks import (
    SAFARICOM_KE_PREFIXES,
    Network,
    network_of,
    network_of_ussd_code,
    provider_name,
)


@pytest.mark.parametrize(
    ("number", "network"),
    [
        ("0712345678", Network.SAFARICOM),
        ("0722000037", Network.SAFARICOM),
        ("+254 799 123 456", Network.SAFARICOM),
        ("0110123456", Network.SAFARICOM),
        ("254115123456", Network.SAFARICOM),
        ("0745123456", Network.SAFARICOM),
        ("0768123456", Network.SAFARICOM),
        ("0733123456", Network.AIRTEL),
        ("254739495441", Network.AIRTEL),
        ("0750123456", Network.AIRTEL),
        ("0756123456", Network.AIRTEL),
        ("0762123456", Network.AIRTEL),
        ("0785123456", Network.AIRTEL),
        ("0100123456", Network.AIRTEL),
        ("102123456", Network.AIRTEL),
    ],
)
def test_a_number_is_routed_to_the_network_that_serves_it(number: str, network: Network) -> None:
    assert network_of(number) is network


@pytest.mark.parametrize(
    "number",
    [
        "0770123456",  # Telkom (T-Kash): no provider of ours yet
        "0763123456",  # Equitel
        "0747123456",  # not Safaricom's, not Airtel's
        "0103123456",  # past Airtel's 0100-0102
        "0116123456",  # past Safaricom's 0110-0115
        "0757",  # not a number
        "",
        "2557123456789",
    ],
)
def test_numbers_no_provider_of_ours_serves_are_routed_nowhere(number: str) -> None:
    assert network_of(number) is None


def test_no_number_is_in_both_networks_ranges() -> None:
    for airtel in AIRTEL_KE_PREFIXES:
        for safaricom in SAFARICOM_KE_PREFIXES:
            assert not airtel.startswith(safaricom)
            assert not safaricom.startswith(airtel)


def test_every_07_and_01_block_of_a_hundred_thousand_is_routed_the_same_way() -> None:
    """A block 07AB / 01AB: every number in it goes to one network (or none): the ranges
    are whole blocks, so the first and last number of each agree."""
    for block in range(1000):
        first, last = f"2547{block:03d}00000"[:12], f"2547{block:03d}99999"[:12]
        assert network_of(first) is network_of(last)


@pytest.mark.parametrize(
    ("code", "network"),
    [
        ("63902", Network.SAFARICOM),
        ("63903", Network.AIRTEL),
        (" 63903 ", Network.AIRTEL),
        ("63907", None),  # Telkom
        ("", None),
        (None, None),
    ],
)
def test_the_ussd_gateways_network_code(code: str | None, network: Network | None) -> None:
    assert network_of_ussd_code(code) is network


def test_each_network_names_its_provider() -> None:
    assert provider_name("safaricom") == "mpesa"
    assert provider_name("airtel") == "airtel"
    with pytest.raises(ValueError, match="telkom"):
        provider_name("telkom")
