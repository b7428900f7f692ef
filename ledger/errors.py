"""One exception class per broken ledger rule.

Every error the ledger raises is a ``LedgerError``; the HTTP layer maps ``code`` to a
problem+json response. An error raised by a write means nothing of that write is left in
the caller's transaction (each write runs inside its own savepoint).
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base class: a request the ledger refuses. ``code`` is stable and machine-readable."""

    code = "ledger_error"
    http_status = 422

    def __init_subclass__(cls, code: str = "", http_status: int = 0, **kwargs: Any) -> None:
        """``class AccountClosed(LedgerError, code="account_closed", http_status=409): ...``"""
        super().__init_subclass__(**kwargs)
        cls.code, cls.http_status = code or cls.code, http_status or cls.http_status

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidEntry(LedgerError, code="invalid_entry"):
    """Malformed entry: too few postings, amount <= 0, unbalanced, mixed-up sides."""


class UnbalancedEntry(InvalidEntry, code="unbalanced_entry"):
    """Debits and credits differ in at least one currency."""


class UnknownAccount(LedgerError, code="unknown_account", http_status=404): ...


class UnknownEntry(LedgerError, code="unknown_entry", http_status=404): ...


class DuplicateAccountCode(LedgerError, code="duplicate_account_code", http_status=409): ...


class AccountClosed(LedgerError, code="account_closed", http_status=409): ...


class AccountNotEmpty(LedgerError, code="account_not_empty", http_status=409):
    """An account with a balance or open holds cannot be closed."""


class CurrencyMismatch(LedgerError, code="currency_mismatch"): ...


class InsufficientFunds(LedgerError, code="insufficient_funds", http_status=409):
    """The write would break an account's balance constraint (an overdraft)."""


class IdempotencyConflict(LedgerError, code="idempotency_conflict", http_status=409):
    """The idempotency key was used before with different content."""


class HoldNotPending(LedgerError, code="hold_not_pending", http_status=409):
    """The entry is not an open hold: already posted, voided, expired, or not a hold."""


class HoldExpired(LedgerError, code="hold_expired", http_status=409): ...


class PostExceedsHold(LedgerError, code="post_exceeds_hold"):
    """A partial post asked for more than the hold reserved."""


class NotReversible(LedgerError, code="not_reversible", http_status=409):
    """Only posted entries can be reversed, and each at most once."""


class LedgerWritesRefused(LedgerError, code="ledger_writes_refused", http_status=403):
    """The caller marked this session as one that may not write entries (``WRITES_REFUSED``:
    the app does so for staff whose route does not move money)."""


class SigningKeyMissing(LedgerError, code="signing_key_missing", http_status=503): ...
