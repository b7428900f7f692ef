"""The group register (MSEA / Social Services certificates): a port and a simulator."""

from integrations.registers.port import (
    GroupRegister,
    GroupRegistration,
    InvalidRegistrationNumber,
    RegistrationStatus,
    normalise_registration_number,
)
from integrations.registers.simulator import SimulatedGroupRegister

__all__ = [
    "GroupRegister",
    "GroupRegistration",
    "InvalidRegistrationNumber",
    "RegistrationStatus",
    "SimulatedGroupRegister",
    "normalise_registration_number",
]
