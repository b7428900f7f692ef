"""Why the app API refused a sign-in, a code, a token or a request: one class per rule.

Each becomes problem+json through ``app.api.problems``; refusals that need headers (401 with
``WWW-Authenticate``, 429 with ``Retry-After``) are raised as ``ProblemError`` instead, from
``app.mobile.auth`` and ``app.mobile.limits``.
"""

from __future__ import annotations

from app.errors import DomainError


class InvalidCredentials(DomainError, code="invalid_credentials", http_status=401):
    """Unknown phone or wrong PIN: one answer for both, so numbers cannot be enumerated."""


class InvalidRefreshToken(DomainError, code="invalid_refresh_token", http_status=401): ...


class RefreshTokenReused(DomainError, code="refresh_token_reused", http_status=401):
    """An already used refresh token: the whole session was ended, sign in again."""


class WrongCode(DomainError, code="wrong_code"): ...


class CodeExpired(DomainError, code="code_expired"):
    """No usable code for this phone: never sent, expired, used, or out of tries."""


class VerificationInvalid(DomainError, code="verification_invalid", http_status=401):
    """The verification token is unknown, used or expired: verify the phone again."""


class AlreadyRegistered(DomainError, code="already_registered", http_status=409): ...


class WrongCurrentPin(DomainError, code="wrong_pin", http_status=403):
    """A wrong current PIN on an authenticated request: 403, so a client does not mistake it
    for an expired session."""


class IdempotencyKeyMissing(DomainError, code="idempotency_key_required", http_status=400): ...


class IdempotencyKeyInvalid(DomainError, code="idempotency_key_invalid", http_status=400): ...


class NoOpenLoan(DomainError, code="no_open_loan", http_status=404): ...


class NotFound(DomainError, code="not_found", http_status=404):
    """An id that is not the borrower's (or does not exist): the same 404 either way, so ids
    of other borrowers' records do not leak."""
