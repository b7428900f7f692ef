"""PIN peppers: a hash is bound to a pepper key, old keys verify, unpeppered hashes move over,
and nothing is hashed or checked without a pepper."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.security.pins import InvalidPepperKey, PepperKey, PinHasher, PinPepperMissing
from tests.support.pins import unpeppered_pin_hash

PIN = "4826"
OLD = PepperKey("old1", b"o" * 32)
NEW = PepperKey("new2", b"n" * 32)


def test_the_same_pin_and_salt_under_two_peppers_give_different_hashes() -> None:
    under_old, under_new = PinHasher([OLD]).hash_pin(PIN), PinHasher([NEW]).hash_pin(PIN)
    assert under_old.split("$")[-1] != under_new.split("$")[-1]
    assert not PinHasher([NEW]).verify_pin(PIN, under_old)  # another pepper verifies nothing


def test_a_hash_under_an_older_pepper_key_verifies_and_needs_a_rehash_under_the_newest() -> None:
    before_rotation = PinHasher([OLD]).hash_pin(PIN)
    rotated = PinHasher([NEW, OLD])
    assert rotated.verify_pin(PIN, before_rotation)
    assert not rotated.verify_pin("4827", before_rotation)
    assert rotated.needs_rehash(before_rotation)
    rehashed = rotated.hash_pin(PIN)
    assert rehashed.startswith("scrypt-hmac$new2$")
    assert not rotated.needs_rehash(rehashed)


def test_an_unpeppered_hash_from_before_peppers_still_verifies_and_needs_a_rehash() -> None:
    pins = PinHasher([NEW])
    old = unpeppered_pin_hash(PIN)
    assert pins.verify_pin(PIN, old)
    assert not pins.verify_pin("4827", old)
    assert pins.needs_rehash(old)


def test_an_unpeppered_hash_wrapped_at_rest_verifies_only_with_its_pepper() -> None:
    old = unpeppered_pin_hash(PIN)
    wrapped = PinHasher([OLD]).wrap(old)
    assert wrapped is not None
    assert wrapped.startswith("scrypt-wrapped$old1$16384$8$1$32$")
    assert old.split("$")[-1] not in wrapped  # the crackable scrypt output is gone
    rotated = PinHasher([NEW, OLD])
    assert rotated.verify_pin(PIN, wrapped)
    assert not rotated.verify_pin("4827", wrapped)
    assert rotated.needs_rehash(wrapped)
    assert not PinHasher([NEW]).verify_pin(PIN, wrapped)  # without its pepper: nothing
    for not_unpeppered in (wrapped, PinHasher([NEW]).hash_pin(PIN), "garbage"):
        assert rotated.wrap(not_unpeppered) is None


def test_without_a_pepper_key_nothing_is_hashed_or_checked() -> None:
    unpeppered = PinHasher([])
    assert not unpeppered.configured
    with pytest.raises(PinPepperMissing) as refused:
        unpeppered.hash_pin(PIN)
    assert refused.value.http_status == 503
    with pytest.raises(PinPepperMissing):
        unpeppered.verify_pin(PIN, unpeppered_pin_hash(PIN))
    with pytest.raises(PinPepperMissing):
        unpeppered.needs_rehash(unpeppered_pin_hash(PIN))


@pytest.mark.parametrize(
    ("key_id", "key"), [("", b"k" * 32), ("A1", b"k" * 32), ("a$b", b"k" * 32), ("k", b"k" * 31)]
)
def test_a_pepper_key_needs_a_short_lower_case_id_and_32_bytes(key_id: str, key: bytes) -> None:
    with pytest.raises(InvalidPepperKey):
        PepperKey(key_id, key)


_PINS = PinHasher([NEW, OLD])
_SCHEMES = st.sampled_from(["scrypt", "scrypt-hmac", "scrypt-hmac$new2", "scrypt-hmac$old1", ""])
_FIELDS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["2", "8", "1", "16", "1024", "2048", "c2FsdA==", "aGFzaA=="]),
)


@settings(max_examples=100, deadline=None)
@given(
    pin=st.one_of(st.text(max_size=8), st.just("12\ud800")),  # a lone surrogate too
    stored=st.one_of(
        st.text(max_size=80),
        st.builds(
            lambda scheme, fields: "$".join([scheme, *fields]),
            _SCHEMES,
            st.lists(_FIELDS, min_size=3, max_size=7),
        ),
    ),
)
def test_verify_never_raises_for_any_stored_value_or_pin(pin: str, stored: str) -> None:
    assert _PINS.verify_pin(pin, stored) in (True, False)
    assert _PINS.needs_rehash(stored) in (True, False)
