"""A right PIN whose stored hash is out of date (unpeppered, or under a rotated-out pepper
key) is rehashed under the newest pepper by the check that accepted it; a wrong PIN never is."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.borrowers import errors
from app.borrowers.models import Borrower
from app.borrowers.pin_checks import Rehash, check_pin, record_pin_attempt
from app.borrowers.pin_wrapping import wrap_old_pin_hashes
from app.security.pins import PepperKey, PinHasher
from tests.support.lending import Fund
from tests.support.pins import unpeppered_pin_hash

PIN = "4826"
OLD = PepperKey("old1", b"o" * 32)
NEW = PepperKey("new2", b"n" * 32)


def _store(fund: Fund, borrower_id: int, pin_hash: str) -> None:
    with fund.sessions.unit_of_work() as session:
        session.execute(
            update(Borrower).where(Borrower.id == borrower_id).values(pin_hash=pin_hash)
        )


def test_an_unpeppered_hash_is_rehashed_at_the_next_right_pin_and_the_pin_still_works(
    fund: Fund,
) -> None:
    borrower_id = fund.register(pin=PIN)
    _store(fund, borrower_id, unpeppered_pin_hash(PIN))
    pins = fund.ports.pins

    check_pin(fund.sessions, fund.clock, pins, borrower_id, PIN)

    stored = fund.borrower(borrower_id).pin_hash
    assert stored.startswith("scrypt-hmac$")
    assert not pins.needs_rehash(stored)
    check_pin(fund.sessions, fund.clock, pins, borrower_id, PIN)
    assert fund.borrower(borrower_id).pin_hash == stored  # up to date: left as it is


def test_old_hashes_wrapped_at_rest_still_take_the_pin_and_are_rehashed_after(
    fund: Fund,
) -> None:
    old_one = fund.register(pin=PIN)
    old_two = fund.register(national_id="22345670", phone="0712345670", pin="2580")
    current = fund.register(national_id="32345670", phone="0712345671", pin="1357")
    _store(fund, old_one, unpeppered_pin_hash(PIN))
    _store(fund, old_two, unpeppered_pin_hash("2580"))
    peppered = fund.borrower(current).pin_hash
    pins = fund.ports.pins
    with fund.sessions.unit_of_work() as session:
        assert wrap_old_pin_hashes(session, pins) == 2
    with fund.sessions.unit_of_work() as session:
        assert wrap_old_pin_hashes(session, pins) == 0  # nothing left to wrap
    assert fund.borrower(old_one).pin_hash.startswith("scrypt-wrapped$")
    assert fund.borrower(current).pin_hash == peppered

    check_pin(fund.sessions, fund.clock, pins, old_one, PIN)
    assert fund.borrower(old_one).pin_hash.startswith("scrypt-hmac$")
    with pytest.raises(errors.WrongPin):
        check_pin(fund.sessions, fund.clock, pins, old_two, "2581")
    assert fund.borrower(old_two).pin_hash.startswith("scrypt-wrapped$")


def test_a_wrong_pin_leaves_an_old_hash_as_it_is_and_counts(fund: Fund) -> None:
    borrower_id = fund.register(pin=PIN)
    old = unpeppered_pin_hash(PIN)
    _store(fund, borrower_id, old)
    with pytest.raises(errors.WrongPin):
        check_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "1357")
    borrower = fund.borrower(borrower_id)
    assert (borrower.pin_hash, borrower.pin_failed_attempts) == (old, 1)


def test_a_hash_under_a_rotated_out_pepper_key_is_rehashed_under_the_newest(fund: Fund) -> None:
    borrower_id = fund.register(pin=PIN)
    _store(fund, borrower_id, PinHasher([OLD]).hash_pin(PIN))
    rotated = PinHasher([NEW, OLD])

    check_pin(fund.sessions, fund.clock, rotated, borrower_id, PIN)

    stored = fund.borrower(borrower_id).pin_hash
    assert stored.startswith("scrypt-hmac$new2$")
    check_pin(fund.sessions, fund.clock, PinHasher([NEW]), borrower_id, PIN)  # old key dropped


def test_a_rehash_never_overwrites_a_pin_changed_since_it_was_checked(fund: Fund) -> None:
    borrower_id = fund.register(pin=PIN)
    checked = unpeppered_pin_hash(PIN)
    changed_meanwhile = fund.borrower(borrower_id).pin_hash
    with fund.sessions.unit_of_work() as session:
        rehash = Rehash(checked, fund.ports.pins.hash_pin(PIN))
        record_pin_attempt(session, borrower_id, True, fund.clock(), rehash)
    assert fund.borrower(borrower_id).pin_hash == changed_meanwhile
