"""A channel checks and changes PINs through one use case each; wrong PINs count."""

from __future__ import annotations

import pytest

from app.borrowers import errors
from app.borrowers.pin_checks import change_pin, check_pin
from tests.support.lending import Fund


def test_a_pin_is_changed_only_with_the_current_one(fund: Fund) -> None:
    borrower_id = fund.register(pin="4826")
    with pytest.raises(errors.WrongPin):
        change_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "1357", "2468")
    with pytest.raises(errors.PinTooWeak):
        change_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "4826", "1111")
    change_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "4826", "2468")
    check_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "2468")
    with pytest.raises(errors.WrongPin):
        check_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "4826")


def test_five_wrong_pins_lock_even_the_right_one(fund: Fund) -> None:
    borrower_id = fund.register(pin="4826")
    for _ in range(4):
        with pytest.raises(errors.WrongPin):
            check_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "9753")
    with pytest.raises(errors.PinLocked):
        check_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "9753")
    with pytest.raises(errors.PinLocked):
        check_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "4826")
    fund.clock.advance(hours=25)
    check_pin(fund.sessions, fund.clock, fund.ports.pins, borrower_id, "4826")
