"""Refusals of the four-eyes engine (mapped to problem+json by ``app.api.problems``)."""

from __future__ import annotations

from app.errors import DomainError


class ApprovalNotFound(DomainError):
    code = "approval_not_found"
    http_status = 404


class ApprovalNotPending(DomainError):
    code = "approval_not_pending"
    http_status = 409


class SameChecker(DomainError):
    """The maker of a request cannot approve or reject it (four eyes)."""

    code = "four_eyes"
    http_status = 403


class NotEligible(DomainError):
    """The kind's policy does not let this person decide this request (e.g. their role)."""

    code = "not_eligible_to_decide"
    http_status = 403


class AlreadyDecided(DomainError):
    """This person has already given their decision on the request (one each)."""

    code = "already_decided"
    http_status = 409


class NotTheMaker(DomainError):
    """Only the maker may withdraw their request."""

    code = "not_the_maker"
    http_status = 403


class PendingRequestExists(DomainError):
    """One pending request per subject: decide or withdraw it first."""

    code = "pending_request_exists"
    http_status = 409


class RequestKeyReused(DomainError):
    """The Idempotency-Key was used for a different request."""

    code = "idempotency_conflict"
    http_status = 409


class ApprovalFailed(DomainError):
    """Re-validated on approval, the request no longer holds: closed as failed."""

    code = "approval_failed"
    http_status = 409


class ApprovalExpired(DomainError):
    """Not decided within its kind's time: closed as expired, it can no longer be approved."""

    code = "approval_expired"
    http_status = 409


class UnknownKind(DomainError):
    """No handler is registered for this kind of request (a wiring mistake)."""

    code = "unknown_approval_kind"
    http_status = 500
