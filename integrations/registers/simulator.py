"""A simulated group register that answers deterministically from the number's serial.

No randomness, no I/O. Rules, on the normalised number (``MSEA/<serial>`` or ``SS/<serial>``):

=========================  ====================================================================
serial                     register answers
=========================  ====================================================================
starts with ``9``          unknown number (``None``): "not found"
ends with ``00``           known but ``deregistered``
any other                  ``active``, named ``Simulated group <serial>``
=========================  ====================================================================

A malformed number never reaches the lookup: ``normalise_registration_number`` refuses it.
"""

from __future__ import annotations

from integrations.registers.port import (
    GroupRegistration,
    RegistrationStatus,
    normalise_registration_number,
)

UNKNOWN_PREFIX = "9"
DEREGISTERED_SUFFIX = "00"


class SimulatedGroupRegister:
    def lookup(self, number: str) -> GroupRegistration | None:
        normalised = normalise_registration_number(number)
        serial = normalised.split("/", 1)[1]
        if serial.startswith(UNKNOWN_PREFIX):
            return None
        status = (
            RegistrationStatus.DEREGISTERED
            if serial.endswith(DEREGISTERED_SUFFIX)
            else RegistrationStatus.ACTIVE
        )
        return GroupRegistration(normalised, f"Simulated group {serial}", status)
