"""The group register simulator's documented inputs (integrations/registers/simulator.py)."""

from __future__ import annotations

import pytest

from integrations.registers import (
    InvalidRegistrationNumber,
    RegistrationStatus,
    SimulatedGroupRegister,
    normalise_registration_number,
)


def test_numbers_are_normalised_and_malformed_ones_refused() -> None:
    assert normalise_registration_number(" msea / 1234567 ") == "MSEA/1234567"
    assert normalise_registration_number("ss/12345") == "SS/12345"
    for bad in ["", "MSEA1234567", "MSEA/1234", "MSEA/123456789", "XX/12345", "MSEA/١٢٣٤٥"]:
        with pytest.raises(InvalidRegistrationNumber):
            normalise_registration_number(bad)


def test_the_register_answers_by_the_serial() -> None:
    register = SimulatedGroupRegister()
    found = register.lookup("MSEA/1234567")
    assert found is not None
    assert found.status == RegistrationStatus.ACTIVE
    assert found.number == "MSEA/1234567"
    assert register.lookup("SS/91234") is None
    gone = register.lookup("MSEA/1234500")
    assert gone is not None
    assert gone.status == RegistrationStatus.DEREGISTERED
    with pytest.raises(InvalidRegistrationNumber):
        register.lookup("nope")
