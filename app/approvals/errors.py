"""Refusals of the four-eyes engine (mapped to problem+json by ``app.api.problems``)."""

from __future__ import annotations

from app.errors import DomainError


class ApprovalNotFound(DomainError, code="approval_not_found", http_status=404): ...


class ApprovalNotPending(DomainError, code="approval_not_pending", http_status=409): ...


class SameChecker(DomainError, code="four_eyes", http_status=403):
    """The maker of a request cannot approve or reject it (four eyes)."""


class NotEligible(DomainError, code="not_eligible_to_decide", http_status=403):
    """The kind's policy does not let this person decide this request (e.g. their role)."""


class AlreadyDecided(DomainError, code="already_decided", http_status=409):
    """This person has already given their decision on the request (one each)."""


class NotTheMaker(DomainError, code="not_the_maker", http_status=403):
    """Only the maker may withdraw their request."""


class PendingRequestExists(DomainError, code="pending_request_exists", http_status=409):
    """One pending request per subject: decide or withdraw it first."""


class RequestKeyReused(DomainError, code="idempotency_conflict", http_status=409):
    """The Idempotency-Key was used for a different request."""


class ApprovalFailed(DomainError, code="approval_failed", http_status=409):
    """Re-validated on approval, the request no longer holds: closed as failed."""


class ApprovalExpired(DomainError, code="approval_expired", http_status=409):
    """Not decided within its kind's time: closed as expired, it can no longer be approved."""


class UnknownKind(DomainError, code="unknown_approval_kind", http_status=500):
    """No handler is registered for this kind of request (a wiring mistake)."""
