"""One exception class per broken ledger rule.

Every error the ledger raises is a ``LedgerError``; the HTTP layer maps ``code`` to a
problem+json response. An error raised by a write means nothing of that write is left in
the caller's transaction (each write runs inside its own savepoint).
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class: a request the ledger refuses. ``code`` is stable and machine-readable."""

    code = "ledger_error"
    http_status = 422

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidEntry(LedgerError):
    """Malformed entry: too few postings, amount <= 0, unbalanced, mixed-up sides."""

    code = "invalid_entry"


class UnbalancedEntry(InvalidEntry):
    """Debits and credits differ in at least one currency."""

    code = "unbalanced_entry"


class UnknownAccount(LedgerError):
    code = "unknown_account"
    http_status = 404


class UnknownEntry(LedgerError):
    code = "unknown_entry"
    http_status = 404


class DuplicateAccountCode(LedgerError):
    code = "duplicate_account_code"
    http_status = 409


class AccountClosed(LedgerError):
    code = "account_closed"
    http_status = 409


class AccountNotEmpty(LedgerError):
    """An account with a balance or open holds cannot be closed."""

    code = "account_not_empty"
    http_status = 409


class CurrencyMismatch(LedgerError):
    code = "currency_mismatch"


class InsufficientFunds(LedgerError):
    """The write would break an account's balance constraint (an overdraft)."""

    code = "insufficient_funds"
    http_status = 409


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before with different content."""

    code = "idempotency_conflict"
    http_status = 409


class HoldNotPending(LedgerError):
    """The entry is not an open hold: already posted, voided, expired, or not a hold."""

    code = "hold_not_pending"
    http_status = 409


class HoldExpired(LedgerError):
    code = "hold_expired"
    http_status = 409


class PostExceedsHold(LedgerError):
    """A partial post asked for more than the hold reserved."""

    code = "post_exceeds_hold"


class NotReversible(LedgerError):
    """Only posted entries can be reversed, and each at most once."""

    code = "not_reversible"
    http_status = 409


class LedgerWritesRefused(LedgerError):
    """The caller marked this session as one that may not write entries (``WRITES_REFUSED``:
    the app does so for staff whose route does not move money)."""

    code = "ledger_writes_refused"
    http_status = 403


class SigningKeyMissing(LedgerError):
    code = "signing_key_missing"
    http_status = 503
