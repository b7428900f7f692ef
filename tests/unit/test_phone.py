"""Kenyan mobile numbers: every accepted way of writing one, and what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.phone import InvalidMsisdn, mask_msisdn, normalise_msisdn


@pytest.mark.parametrize(
    ("raw", "msisdn"),
    [
        ("0712345678", "254712345678"),
        ("0112345678", "254112345678"),
        ("+254712345678", "254712345678"),
        ("254712345678", "254712345678"),
        ("254112345678", "254112345678"),
        ("712345678", "254712345678"),
        ("112345678", "254112345678"),
        ("0712 345 678", "254712345678"),
        ("0712-345-678", "254712345678"),
        ("+254 712 345 678", "254712345678"),
        (" +254-712-345-678 ", "254712345678"),
    ],
)
def test_every_accepted_shape_normalises_to_12_digits(raw: str, msisdn: str) -> None:
    assert normalise_msisdn(raw) == msisdn


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "071234567",  # 9 digits with a leading 0
        "07123456789",  # 11 digits
        "2547123456789",  # 13 digits
        "0212345678",  # a Nairobi landline, not a mobile range
        "0812345678",  # not a mobile range
        "+255712345678",  # Tanzania
        "+44712345678",  # another country
        "++254712345678",
        "+0712345678",  # "+" only before a country code
        "07123A5678",  # a letter
        "07.12.34.56.78",  # dots are not accepted separators
        "٠٧١٢٣٤٥٦٧٨",  # Arabic-Indic digits
        "00254712345678",  # international call prefix
    ],
)
def test_anything_else_is_not_a_kenyan_mobile_number(raw: str) -> None:
    with pytest.raises(InvalidMsisdn):
        normalise_msisdn(raw)


def test_the_error_never_repeats_the_number() -> None:
    with pytest.raises(InvalidMsisdn) as refused:
        normalise_msisdn("+255712345678")
    assert "712345678" not in str(refused.value)


def test_a_masked_number_shows_the_first_4_and_last_2_digits() -> None:
    assert mask_msisdn("254712345678") == "2547******78"


def test_a_value_too_short_to_mask_partly_is_masked_entirely() -> None:
    assert mask_msisdn("254712") == "******"


SUBSCRIBER = st.from_regex(r"[17][0-9]{8}", fullmatch=True)
PREFIX = st.sampled_from(["0", "254", "+254", ""])
SEPARATOR = st.sampled_from(["", "", "", " ", "-"])


@given(SUBSCRIBER, PREFIX, st.lists(SEPARATOR, min_size=13, max_size=13))
def test_any_subscriber_number_in_any_accepted_shape_normalises_alike(
    subscriber: str, prefix: str, separators: list[str]
) -> None:
    written = prefix + subscriber
    # A separator may follow the "+" or any digit, as people type and paste them.
    spaced = "".join(char + separator for char, separator in zip(written, separators, strict=False))
    assert normalise_msisdn(spaced) == "254" + subscriber
