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


class TermOutsideRange(DomainError, code="term_outside_range"):
    """The number of instalments is outside the product's range."""


class SmeLoanOpen(DomainError, code="sme_loan_open", http_status=409):
    """The business has an open SME loan (one at a time)."""


class ApplicationOpen(DomainError, code="application_open", http_status=409):
    """The business has an application waiting for a decision."""


class QuoteChanged(DomainError, code="quote_changed", http_status=409):
    """The schedule sent is not today's quote: ask for a new quote."""


class ApplicationNotFound(DomainError, code="application_not_found", http_status=404):
    """No such SME application."""


class ApplicationDecided(DomainError, code="application_decided", http_status=409):
    """The application is not waiting for this decision any more."""
