"""Borrower PINs: which new PINs are refused, and peppered, salted hashes that verify."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from app.security.pins import (
    GuessablePin,
    MalformedPin,
    PepperKey,
    PinHasher,
    WeakPin,
    validate_new_pin,
)

PIN = "2580"
PEPPER = PepperKey("k1", b"p" * 32)


@pytest.fixture(scope="module")
def pins() -> PinHasher:
    return PinHasher([PEPPER])


@pytest.fixture(scope="module")
def stored(pins: PinHasher) -> str:
    return pins.hash_pin(PIN)


def _encode(scheme: str, n: int, r: int, salt: bytes, digest: bytes) -> str:
    salt_b64 = base64.b64encode(salt).decode()
    digest_b64 = base64.b64encode(digest).decode()
    return f"{scheme}${n}${r}$1${salt_b64}${digest_b64}"


def test_the_right_pin_verifies(pins: PinHasher, stored: str) -> None:
    assert pins.verify_pin(PIN, stored)


def test_a_wrong_pin_does_not_verify(pins: PinHasher, stored: str) -> None:
    assert not pins.verify_pin("2581", stored)


def test_the_stored_hash_names_its_pepper_and_parameters_and_not_the_pin(stored: str) -> None:
    scheme, pepper_id, n, r, p, salt, digest = stored.split("$")
    assert (scheme, pepper_id, n, r, p) == ("scrypt-hmac", "k1", "2048", "8", "1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 32
    assert PIN not in stored


def test_the_kdf_input_is_the_hmac_of_the_pin_under_the_pepper(stored: str) -> None:
    *_, salt, digest = stored.split("$")
    peppered = hmac.new(PEPPER.key, PIN.encode(), hashlib.sha256).digest()
    again = hashlib.scrypt(peppered, salt=base64.b64decode(salt), n=2**11, r=8, p=1, dklen=32)
    assert base64.b64encode(again).decode() == digest


def test_two_hashes_of_the_same_pin_differ_by_their_salt(pins: PinHasher, stored: str) -> None:
    again = pins.hash_pin(PIN)
    assert again != stored
    assert pins.verify_pin(PIN, again)


def test_a_hash_made_with_other_parameters_still_verifies_and_needs_a_rehash(
    pins: PinHasher,
) -> None:
    salt = b"s" * 16
    peppered = hmac.new(PEPPER.key, PIN.encode(), hashlib.sha256).digest()
    digest = hashlib.scrypt(peppered, salt=salt, n=2**4, r=8, p=1, dklen=32)
    old = _encode("scrypt-hmac$k1", 2**4, 8, salt, digest)
    assert pins.verify_pin(PIN, old)
    assert pins.needs_rehash(old)


def test_a_hash_with_todays_pepper_and_parameters_needs_no_rehash(
    pins: PinHasher, stored: str
) -> None:
    assert not pins.needs_rehash(stored)


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
        "scrypt-hmac$2048$8$1$c2FsdA==$aGFzaA==",
        "scrypt-hmac$K1$2048$8$1$c2FsdA==$aGFzaA==",
        "scrypt-hmac$k1$2048$8$1$c2FsdA==$aGFzaA==$",
        "scrypt-hmac$gone$2048$8$1$c2FsdA==$aGFzaA==",
        "scrypt-hmac$k1$1048576$1024$64$c2FsdA==$aGFzaA==",
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
        "peppered without a pepper id",
        "a pepper id that is not lower-case",
        "a field too many",
        "a pepper key no longer configured",
        "peppered, parameters costing gigabytes",
    ],
)
def test_a_malformed_stored_hash_verifies_nothing_and_raises_nothing(
    pins: PinHasher, encoded: str
) -> None:
    assert not pins.verify_pin(PIN, encoded)
    assert pins.needs_rehash(encoded)


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
