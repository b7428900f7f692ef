"""Refusals of the reconciliation rules (mapped to problem+json by ``app.api.problems``)."""

from __future__ import annotations

from app.approvals import errors as approval_errors
from app.errors import DomainError


class RunNotFound(DomainError, code="reconciliation_not_found", http_status=404): ...


class NoStatementForPeriod(DomainError, code="no_statement_for_period", http_status=409):
    """No imported statement covers the period: every ledger receipt would look missing."""


class InvalidPeriod(DomainError, code="invalid_period"): ...


class ExceptionNotFound(
    DomainError, code="reconciliation_exception_not_found", http_status=404
): ...


class ResolutionNotFound(DomainError, code="resolution_not_found", http_status=404): ...


class ExceptionClosed(DomainError, code="exception_closed", http_status=409): ...


class ResolutionPending(DomainError, code="resolution_pending", http_status=409):
    """Another proposal for this exception waits for a decision."""


class ResolutionNotPending(DomainError, code="resolution_not_pending", http_status=409): ...


class ActionNotAllowed(DomainError, code="action_not_allowed"):
    """The action does not fit this kind of exception."""


SameChecker = approval_errors.SameChecker
"""The one who proposed a resolution cannot approve it: the four-eyes engine's rule."""


class OperationsOnly(DomainError, code="segregation_of_duties", http_status=403):
    """Resolving exceptions is operations work: auditors and support never propose, approve
    or reject a resolution (segregation of duties)."""


class InvalidNote(DomainError, code="invalid_note"): ...


class RequestKeyReused(DomainError, code="idempotency_key_reused", http_status=409): ...


class ResolutionInvalid(DomainError, code="resolution_invalid", http_status=409):
    """The action can no longer be applied (the state moved since it was proposed)."""
