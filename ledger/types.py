"""Provider-neutral value types of the ledger: requests in, results out.

Money is always an ``int`` of minor units (cents) with ``_minor`` in its name; no float
ever touches an amount.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DEFAULT_CURRENCY = "KES"
MAX_POSTINGS_PER_ENTRY = 64
MAX_AMOUNT_MINOR = 10**15  # a quadrillion cents: far above any real movement, below int64


class AccountType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        """Assets and expenses grow with debits; the others grow with credits."""
        return self in (AccountType.ASSET, AccountType.EXPENSE)


class Side(enum.StrEnum):
    DEBIT = "D"
    CREDIT = "C"


class EntryKind(enum.StrEnum):
    POSTED = "posted"  # an ordinary entry, posted at once
    PENDING = "pending"  # a hold: reserves amounts until posted, voided or expired
    POST_PENDING = "post_pending"  # posts (all or part of) a hold
    VOID_PENDING = "void_pending"  # releases a hold, moves nothing
    EXPIRE_PENDING = "expire_pending"  # releases a hold whose time ran out
    REVERSAL = "reversal"  # the mirror of a posted entry


class HoldState(enum.StrEnum):
    OPEN = "open"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


class Phase(enum.StrEnum):
    PENDING = "pending"
    POSTED = "posted"


@dataclass(frozen=True, slots=True)
class AccountSpec:
    code: str
    name: str
    type: AccountType
    currency: str = DEFAULT_CURRENCY
    owner_ref: str | None = None
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False
    hot: bool = False
    """Touched by most entries (float, income): its row lock is taken last, held shortest."""


@dataclass(frozen=True, slots=True)
class PostingLine:
    account_id: int
    side: Side
    amount_minor: int
    currency: str | None = None
    """Optional: when given, it must be the account's currency."""

    @staticmethod
    def debit(account_id: int, amount_minor: int, currency: str | None = None) -> PostingLine:
        return PostingLine(account_id, Side.DEBIT, amount_minor, currency)

    @staticmethod
    def credit(account_id: int, amount_minor: int, currency: str | None = None) -> PostingLine:
        return PostingLine(account_id, Side.CREDIT, amount_minor, currency)


@dataclass(frozen=True, slots=True)
class EntryRequest:
    idempotency_key: str
    postings: Sequence[PostingLine]
    description: str = ""
    reference: str | None = None
    """A caller's handle for lookups, e.g. ``loan:42``; not unique."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    effective_at: datetime | None = None
    """Value date; defaults to the booking time."""


@dataclass(frozen=True, slots=True)
class Posting:
    id: int
    account_id: int
    side: Side
    amount_minor: int
    currency: str
    phase: Phase


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    idempotency_key: str
    kind: EntryKind
    description: str
    reference: str | None
    metadata: Mapping[str, Any]
    effective_at: datetime
    booked_at: datetime
    postings: tuple[Posting, ...]
    pending_entry_id: int | None = None
    reversed_entry_id: int | None = None
    expires_at: datetime | None = None
    replayed: bool = False
    """True when this result was returned for a replayed idempotency key."""


@dataclass(frozen=True, slots=True)
class Balance:
    account_id: int
    currency: str
    debit_normal: bool
    debits_posted_minor: int
    credits_posted_minor: int
    debits_pending_minor: int
    credits_pending_minor: int

    @property
    def posted_minor(self) -> int:
        """Posted balance, signed in the account's normal direction."""
        net = self.debits_posted_minor - self.credits_posted_minor
        return net if self.debit_normal else -net

    @property
    def available_minor(self) -> int:
        """Posted balance less pending outflows (pending inflows are not yet money)."""
        outflow = self.credits_pending_minor if self.debit_normal else self.debits_pending_minor
        return self.posted_minor - outflow
