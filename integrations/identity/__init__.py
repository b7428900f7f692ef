"""The identity register (Kenya's IPRS-like population register): a port and a simulator."""

from integrations.identity.register import (
    DateOfBirthInFuture,
    IdentityRecord,
    IdentityRegister,
    InvalidNationalId,
    age_on,
    normalise_national_id,
)
from integrations.identity.simulator import SimulatedIdentityRegister

__all__ = [
    "DateOfBirthInFuture",
    "IdentityRecord",
    "IdentityRegister",
    "InvalidNationalId",
    "SimulatedIdentityRegister",
    "age_on",
    "normalise_national_id",
]
