"""The ledger's tables.

Invariants held by the database itself, not only by Python:
- amounts are positive integers of minor units; balance columns never go below zero;
- an account flagged ``debits_must_not_exceed_credits`` (or the inverse) cannot be overdrawn,
  counting pending holds (CHECK constraints on the balance row);
- a posting's currency is its account's currency (composite foreign key);
- a hold is resolved at most once and an entry reversed at most once (unique references);
- entries, postings and seal records are append-only (triggers, see ``ledger.ddl``);
- every entry balances per currency at commit (PostgreSQL: deferred constraint trigger,
  ``ledger.ddl``; SQLite: a deferred foreign key to a checked proof,
  ``ledger.balanced_entry_guard``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.sqltypes import BigIntPK, JSONDoc, UTCDateTime
from ledger.types import AccountType, EntryKind, Phase, Side

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, values: list[str]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class LedgerBase(DeclarativeBase):
    """Declarative base; the app's models share this metadata so one migration set covers all."""

    metadata = MetaData(naming_convention=NAMING)


class Account(LedgerBase):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("id", "currency", name="uq_ledger_accounts_id_currency"),
        CheckConstraint(_one_of("type", [t.value for t in AccountType]), name="type_known"),
        CheckConstraint("length(currency) = 3", name="currency_iso"),
        CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 "
            "AND credits_pending >= 0",
            name="balances_non_negative",
        ),
        CheckConstraint(
            "NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)",
            name="one_constraint_at_most",
        ),
        CheckConstraint(
            "NOT debits_must_not_exceed_credits "
            "OR debits_posted + debits_pending <= credits_posted",
            name="debits_within_credits",
        ),
        CheckConstraint(
            "NOT credits_must_not_exceed_debits "
            "OR credits_posted + credits_pending <= debits_posted",
            name="credits_within_debits",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    """Chart-of-accounts code, unique, e.g. ``1100`` or ``2100.0042`` for a borrower sub-account."""
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    """asset, liability, equity, income or expense: fixes the normal balance side."""
    currency: Mapped[str] = mapped_column(String(3))
    """ISO 4217 code; every posting on the account is in this currency."""
    owner_ref: Mapped[str | None] = mapped_column(String(128), index=True)
    """Opaque reference to whoever the account belongs to (e.g. ``borrower:17``)."""
    debits_must_not_exceed_credits: Mapped[bool] = mapped_column(Boolean, default=False)
    credits_must_not_exceed_debits: Mapped[bool] = mapped_column(Boolean, default=False)
    hot: Mapped[bool] = mapped_column(Boolean, default=False)
    """Touched by most entries: locked last so its row lock is held for the shortest time."""
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    """Sum of debit postings of holds still open."""
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JournalEntry(LedgerBase):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(_one_of("kind", [k.value for k in EntryKind]), name="kind_known"),
        CheckConstraint(
            "(pending_entry_id IS NOT NULL) = "
            "(kind IN ('post_pending', 'void_pending', 'expire_pending'))",
            name="resolution_names_hold",
        ),
        CheckConstraint(
            "(reversed_entry_id IS NOT NULL) = (kind = 'reversal')", name="reversal_names_entry"
        ),
        CheckConstraint("expires_at IS NULL OR kind = 'pending'", name="only_holds_expire"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    """Caller-chosen key: a replay with the same content returns this entry."""
    content_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the request's canonical form, to tell a replay from a conflicting reuse."""
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(500), default="")
    reference: Mapped[str | None] = mapped_column(String(128), index=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    """Free-form metadata, searchable by key."""
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    """Value date: when the movement counts for balances as of a time."""
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """When the ledger recorded the entry."""
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Holds only: after this time the hold can no longer be posted."""
    pending_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entries.id"), unique=True
    )
    """Resolutions only: the hold this entry posts, voids or expires (once)."""
    reversed_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entries.id"), unique=True
    )
    """Reversals only: the entry this one mirrors (an entry is reversed at most once)."""


class Posting(LedgerBase):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "currency"],
            ["ledger_accounts.id", "ledger_accounts.currency"],
            name="fk_ledger_postings_account_currency",
        ),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(_one_of("side", [s.value for s in Side]), name="side_known"),
        CheckConstraint(_one_of("phase", [p.value for p in Phase]), name="phase_known"),
        Index("ix_ledger_postings_account_effective", "account_id", "effective_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    side: Mapped[str] = mapped_column(String(1))
    """``D`` debit or ``C`` credit."""
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    phase: Mapped[str] = mapped_column(String(8))
    """``pending`` (part of a hold) or ``posted`` (moves the posted balance)."""
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """Copied from the entry so statements and as-of balances need no join."""


class UnsealedEntry(LedgerBase):
    """Queue of committed entries the sealer has not yet put in a block (filled by trigger)."""

    __tablename__ = "ledger_unsealed"

    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), primary_key=True)


class SealBlock(LedgerBase):
    __tablename__ = "ledger_seal_blocks"

    height: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    """``block_hash`` of the block before (64 zeros for the first)."""
    entries_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 over the members' (entry id, entry hash) pairs in id order."""
    entry_count: Mapped[int] = mapped_column(Integer)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    block_hash: Mapped[str] = mapped_column(String(64), unique=True)
    signature: Mapped[str] = mapped_column(String(128))
    """Ed25519 signature of ``block_hash``, hex."""
    key_id: Mapped[str] = mapped_column(String(16))
    """First 16 hex digits of SHA-256 of the raw public key that signed."""


class SealMember(LedgerBase):
    __tablename__ = "ledger_seal_members"

    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), primary_key=True)
    block_height: Mapped[int] = mapped_column(ForeignKey("ledger_seal_blocks.height"), index=True)
    entry_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the entry's canonical form (entry fields and all its postings)."""
