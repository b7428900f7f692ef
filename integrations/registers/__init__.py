"""The group register (MSEA / Social Services certificates) and the business register (BRS):
ports and simulators."""

from integrations.registers.business import (
    BusinessRegister,
    BusinessRegistration,
    normalise_business_number,
)
from integrations.registers.port import (
    GroupRegister,
    GroupRegistration,
    InvalidRegistrationNumber,
    RegistrationStatus,
    normalise_registration_number,
)
from integrations.registers.simulator import SimulatedBusinessRegister, SimulatedGroupRegister

__all__ = [
    "BusinessRegister",
    "BusinessRegistration",
    "GroupRegister",
    "GroupRegistration",
    "InvalidRegistrationNumber",
    "RegistrationStatus",
    "SimulatedBusinessRegister",
    "SimulatedGroupRegister",
    "normalise_business_number",
    "normalise_registration_number",
]
