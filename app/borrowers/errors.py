"""Why an opt-in, a PIN check or an opt-out was refused: one class per rule."""

from __future__ import annotations

from app.errors import DomainError


class InvalidNationalIdInput(DomainError, code="invalid_national_id"): ...


class InvalidPhoneInput(DomainError, code="invalid_phone_number"): ...


class TermsNotAccepted(DomainError, code="terms_not_accepted"): ...


class PinTooWeak(DomainError, code="pin_too_weak"): ...


class IdentityNotFound(DomainError, code="identity_not_found"): ...


class ImplausibleBirthDate(DomainError, code="implausible_birth_date"):
    """The register's date of birth is in the future or impossibly long ago."""


class Underage(DomainError, code="underage"): ...


class SimNotOnNetwork(DomainError, code="sim_not_on_network"): ...


class NetworkNotServed(DomainError, code="network_not_served"):
    """The number is on a network whose wallet the fund does not pay through (Telkom...)."""


class NoMobileMoney(DomainError, code="no_mobile_money_account"): ...


class SimTooNew(DomainError, code="sim_too_new"): ...


class NationalIdTaken(DomainError, code="national_id_registered_elsewhere", http_status=409):
    """One national ID, one phone: the ID is registered on another number."""


class PhoneTaken(DomainError, code="phone_registered_to_another_id", http_status=409): ...


class BorrowerNotFound(DomainError, code="borrower_not_found", http_status=404): ...


class NotOptedIn(DomainError, code="not_opted_in", http_status=403): ...


class WrongPin(DomainError):
    code = "wrong_pin"
    http_status = 401

    def __init__(self, detail: str, attempts_left: int) -> None:
        super().__init__(detail)
        self.attempts_left = attempts_left


class PinLocked(DomainError, code="pin_locked", http_status=423): ...


class OpenLoanBlocksOptOut(DomainError, code="open_loan", http_status=409): ...
