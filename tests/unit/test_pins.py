"""Borrower PINs: which new PINs are refused, and slow salted hashes that verify."""

from __future__ import annotations

import base64
import hashlib

import pytest

from app.security.pins import (
    GuessablePin,
    MalformedPin,
    WeakPin,
    hash_pin,
    needs_rehash,
    validate_new_pin,
    verify_pin,
)

PIN = "2580"


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_pin(PIN)


def _encode(n: int, r: int, p: int, salt: bytes, digest: bytes) -> str:
    salt_b64 = base64.b64encode(salt).decode()
    digest_b64 = base64.b64encode(digest).decode()
    return f"scrypt${n}${r}${p}${salt_b64}${digest_b64}"


def test_the_right_pin_verifies(stored: str) -> None:
    assert verify_pin(PIN, stored)


def test_a_wrong_pin_does_not_verify(stored: str) -> None:
    assert not verify_pin("2581", stored)


def test_the_stored_hash_carries_its_parameters_and_not_the_pin(stored: str) -> None:
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 32
    assert PIN not in stored


def test_two_hashes_of_the_same_pin_differ_by_their_salt(stored: str) -> None:
    again = hash_pin(PIN)
    assert again != stored
    assert verify_pin(PIN, again)


def test_a_hash_made_with_cheaper_old_parameters_still_verifies_and_needs_a_rehash() -> None:
    salt = b"s" * 16
    digest = hashlib.scrypt(PIN.encode(), salt=salt, n=2**4, r=8, p=1, dklen=32)
    old = _encode(2**4, 8, 1, salt, digest)
    assert verify_pin(PIN, old)
    assert needs_rehash(old)


def test_a_hash_with_todays_parameters_needs_no_rehash(stored: str) -> None:
    assert not needs_rehash(stored)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "2580",
        "bcrypt$16384$8$1$c2FsdA==$aGFzaA==",
        "scrypt$16384$8$1$c2FsdA==",
        "scrypt$16384$8$1$not base64!$aGFzaA==",
        "scrypt$abc$8$1$c2FsdA==$aGFzaA==",
        "scrypt$-16384$8$1$c2FsdA==$aGFzaA==",
        "scrypt$1000$8$1$c2FsdA==$aGFzaA==",
        "scrypt$16384$0$1$c2FsdA==$aGFzaA==",
        "scrypt$16384$8$1$$aGFzaA==",
        "scrypt$16384$8$1$c2FsdA==$",
        "scrypt$1048576$1024$64$c2FsdA==$aGFzaA==",
        "scrypt$" + "9" * 5000 + "$8$1$c2FsdA==$aGFzaA==",
    ],
    ids=[
        "empty",
        "a bare PIN",
        "another scheme",
        "missing field",
        "bad base64",
        "n not a number",
        "negative n",
        "n not a power of two",
        "r zero",
        "empty salt",
        "empty hash",
        "parameters costing gigabytes",
        "a huge number",
    ],
)
def test_a_malformed_stored_hash_verifies_nothing_and_raises_nothing(encoded: str) -> None:
    assert not verify_pin(PIN, encoded)
    assert needs_rehash(encoded)


@pytest.mark.parametrize("pin", ["2580", "1990", "2024", "0192", "1357", "1123", "8901"])
def test_an_ordinary_four_digit_pin_is_accepted(pin: str) -> None:
    validate_new_pin(pin)


@pytest.mark.parametrize("pin", ["", "123", "12345", "12a4", " 1234", "٢٥٨٠", "25 80"])
def test_a_pin_that_is_not_exactly_four_digits_is_refused(pin: str) -> None:
    with pytest.raises(MalformedPin):
        validate_new_pin(pin)


@pytest.mark.parametrize(
    "pin", ["0000", "1111", "9999", "0123", "1234", "6789", "9876", "4321", "3210"]
)
def test_one_digit_repeated_or_a_run_is_too_easy_to_guess(pin: str) -> None:
    with pytest.raises(GuessablePin):
        validate_new_pin(pin)


def test_both_refusals_are_weak_pins() -> None:
    for pin in ("1111", "12"):
        with pytest.raises(WeakPin):
            validate_new_pin(pin)
