"""Why a savings withdrawal, refund or deposit was refused."""

from __future__ import annotations

from app.errors import DomainError


class LoanOpen(DomainError, code="loan_open", http_status=409):
    """Short-term savings can be withdrawn only with no active loan."""


class SavingsHeld(DomainError, code="savings_held", http_status=409): ...


class InsufficientSavings(DomainError, code="insufficient_savings", http_status=409): ...


class BelowPayoutMinimum(DomainError, code="below_payout_minimum"): ...


class NotDefaulted(DomainError, code="loan_not_in_default", http_status=409): ...
