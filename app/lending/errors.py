"""Why a quote, a loan, a top-up or a repayment was refused: one class per rule."""

from __future__ import annotations

from app.errors import DomainError


class ProductUnavailable(DomainError, code="product_unavailable", http_status=404): ...


class BandNotEligible(DomainError, code="band_not_eligible", http_status=403): ...


class BorrowerFrozen(DomainError, code="borrower_frozen", http_status=403): ...


class BelowMinimum(DomainError, code="amount_below_minimum"): ...


class AboveMaximum(DomainError, code="amount_above_maximum"): ...


class NotWholeShillings(DomainError, code="amount_not_whole_shillings"): ...


class OverLimit(DomainError, code="over_limit", http_status=409): ...


class LoanInFlight(DomainError, code="disbursement_in_flight", http_status=409):
    """A disbursement for this borrower is still on its way: wait for its outcome."""


class OtherProductOpen(DomainError, code="other_loan_open", http_status=409): ...


class RequestKeyReused(DomainError, code="idempotency_conflict", http_status=409):
    """The idempotency key was used for a different request."""


class LoanNotFound(DomainError, code="loan_not_found", http_status=404): ...


class NothingOwed(DomainError, code="nothing_owed", http_status=409): ...


class InvalidAmount(DomainError, code="invalid_amount"): ...


class ScheduleRefused(DomainError, code="schedule_not_possible"):
    """The product's schedule cannot be built for this amount (the engine's ``InvalidTerms``,
    e.g. an instalment that would not cover its interest)."""


class GroupArrearsFreeze(DomainError, code="group_arrears", http_status=409):
    """A group the borrower belongs to is in arrears on its loan: no new borrowing until the
    group has caught up (docs/groups.md, "Arrears")."""


class TopUpNotOffered(DomainError, code="top_up_not_offered", http_status=409):
    """An instalment loan's schedule is fixed at disbursement: no top-ups (yet)."""
