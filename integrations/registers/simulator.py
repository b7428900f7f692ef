"""Simulated group and business registers that answer deterministically from the number's
serial.

No randomness, no I/O. Rules, on the normalised number's serial (the part after the scheme:
``MSEA/<serial>``, ``SS/<serial>``, ``BN-<serial>``, ``PVT-<serial>``), the same for both:

=========================  ====================================================================
serial                     register answers
=========================  ====================================================================
starts with ``9``          unknown number (``None``): "not found"
ends with ``00``           known but ``deregistered``
any other                  ``active``, named ``Simulated group <serial>`` (a group) or
                           ``Simulated business <serial>`` (a business)
=========================  ====================================================================

A malformed number never reaches the lookup: ``normalise_registration_number`` refuses it.
"""

from __future__ import annotations

from integrations.registers.business import BusinessRegistration, normalise_business_number
from integrations.registers.port import (
    GroupRegistration,
    RegistrationStatus,
    normalise_registration_number,
)

UNKNOWN_PREFIX = "9"
DEREGISTERED_SUFFIX = "00"


def _status(serial: str) -> RegistrationStatus | None:
    if serial.startswith(UNKNOWN_PREFIX):
        return None
    if serial.endswith(DEREGISTERED_SUFFIX):
        return RegistrationStatus.DEREGISTERED
    return RegistrationStatus.ACTIVE


class SimulatedGroupRegister:
    def lookup(self, number: str) -> GroupRegistration | None:
        normalised = normalise_registration_number(number)
        serial = normalised.split("/", 1)[1]
        status = _status(serial)
        if status is None:
            return None
        return GroupRegistration(normalised, f"Simulated group {serial}", status)


class SimulatedBusinessRegister:
    def lookup_business(self, number: str) -> BusinessRegistration | None:
        normalised = normalise_business_number(number)
        serial = normalised.split("-", 1)[1]
        status = _status(serial)
        if status is None:
            return None
        return BusinessRegistration(normalised, f"Simulated business {serial}", status)
