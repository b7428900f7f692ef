"""What the SME domain refuses (each a clear 4xx)."""

from __future__ import annotations

from app.errors import DomainError


class InvalidBusinessRegistration(DomainError, code="invalid_business_registration"):
    """Not a business registration number (BN-/PVT- and 7 letters or digits)."""


class BusinessNotRegistered(DomainError, code="business_not_registered", http_status=409):
    """The business register does not know the number, or says it is deregistered."""


class InvalidKraPin(DomainError, code="invalid_kra_pin"):
    """Not a KRA PIN (A or P, 9 digits, a letter)."""


class InvalidTill(DomainError, code="invalid_till"):
    """Not an M-Pesa till or paybill number (5 to 7 digits)."""


class OwnerNotInGoodStanding(DomainError, code="owner_not_in_good_standing", http_status=409):
    """The owner is frozen, or a loan of theirs defaulted or was written off."""


class BusinessTaken(DomainError, code="business_taken", http_status=409):
    """The registration number or KRA PIN is already on another business."""


class AlreadyHasBusiness(DomainError, code="already_has_business", http_status=409):
    """One business per owner."""


class NoBusiness(DomainError, code="no_business", http_status=404):
    """The borrower has registered no business."""
