"""The borrower row: identity (encrypted, found by blind index), PIN, status, limit, balances.

Invariants in the database: one row per national ID and per phone (unique blind indexes);
savings and credit balances never negative; a locked PIN has a lock time. A consent is
withdrawn at most once, never before it was given.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, UTCDateTime


class BorrowerStatus(enum.StrEnum):
    ACTIVE = "active"
    """Opted in: identity verified, terms accepted, PIN set."""
    OPTED_OUT = "opted_out"
    """Left the fund; keeps their savings; may opt in again."""


DEFAULT_FREEZE = "default"
"""``frozen_reason`` of the freeze a loan in default puts on (lifted when it is repaid);
staff freezes carry their own reason."""


class Borrower(Base):
    __tablename__ = "borrowers"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'opted_out')", name="status_known"),
        CheckConstraint(
            "savings_long_minor >= 0 AND savings_short_minor >= 0 AND credit_balance_minor >= 0",
            name="balances_non_negative",
        ),
        CheckConstraint("credit_limit_minor >= 0", name="limit_non_negative"),
        CheckConstraint("pin_failed_attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("network IN ('safaricom', 'airtel')", name="network_known"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    national_id_index: Mapped[str] = mapped_column(String(64), unique=True)
    """HMAC of the normalised national ID (blind index): lookups without decrypting."""
    national_id_enc: Mapped[str] = mapped_column(String(400))
    """The national ID, Fernet-encrypted."""
    phone_index: Mapped[str] = mapped_column(String(64), unique=True)
    """HMAC of the 12-digit MSISDN."""
    phone_enc: Mapped[str] = mapped_column(String(400))
    network: Mapped[str] = mapped_column(String(12), server_default="safaricom")
    """The network of the number, set at opt-in (``integrations.payments.networks``): whose
    wallet we pay into and collect from (safaricom: M-Pesa; airtel: Airtel Money). It changes
    only with the number."""
    full_name_enc: Mapped[str] = mapped_column(String(600))
    """Name from the identity register, encrypted."""
    date_of_birth_enc: Mapped[str] = mapped_column(String(400))
    """ISO date of birth from the identity register, encrypted."""
    adult_on: Mapped[date | None] = mapped_column(Date)
    """The day the borrower turns 18 (``app.borrowers.ages``): the one fact of the birth date
    the database sees, so that it refuses a minor and a loan to one (``app.lending.ddl``).
    NULL only on rows from before migration 0024 not yet backfilled."""
    status: Mapped[str] = mapped_column(String(16))
    terms_version: Mapped[str] = mapped_column(String(16))
    """Version of the terms and conditions the borrower accepted."""
    opted_in_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pin_hash: Mapped[str] = mapped_column(String(200))
    """scrypt of HMAC(pepper, PIN), naming its pepper key (``app.security.pins``)."""
    pin_failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set on default (day 30): no new loans until the debt is repaid in full."""
    frozen_reason: Mapped[str | None] = mapped_column(String(64))
    group_arrears_since: Mapped[date | None] = mapped_column(Date)
    """Set while a group the borrower is an active member of has its loan in arrears (the
    oldest unpaid instalment's due date), by ``app.groups.arrears``: no new borrowing,
    individual or group, until it is cured."""
    credit_limit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """The most the borrower may owe in principal, across top-ups."""
    score_band: Mapped[str | None] = mapped_column(String(2))
    """A1..C3 from the scorecard; NULL while not scored (or reset by a default)."""
    loans_repaid_on_time: Mapped[int] = mapped_column(Integer, default=0)
    """Loans repaid in full by their due date: drives limit step-ups."""
    savings_long_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Long-term savings (70% of each 5% withholding); mirrors ledger account 2110."""
    savings_short_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Short-term savings (30%); mirrors ledger account 2120."""
    savings_short_held_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Part of short-term savings under lien (held while a loan is in default)."""
    credit_balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Overpayments owed back to the borrower; mirrors ledger account 2200."""
    rescore_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    """When the rescoring sweep next scores the borrower: 4 months after the last scoring,
    or now when an event (a loan repaid, a default) asks for it (``app.scoring.schedule``)."""
    rescore_trigger: Mapped[str | None] = mapped_column(String(16))
    """Why the next rescoring is due: ``scheduled``, ``repaid`` or ``default``."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the retention policy erased the identity (``app.privacy.retention``)."""


class ConsentChannel(enum.StrEnum):
    USSD = "ussd"
    APP = "app"
    SUPPORT = "support"
    BEFORE_RECORDS = "before_records"
    """Given before consents were recorded by channel (migration 0025 wrote these from the
    borrower row: the terms version and the opt-in time, not the channel)."""


class Consent(Base):
    """A borrower's consent to the terms (which version, when, through which channel): the
    terms cover the processing of their data and sharing it with the credit bureaus (Data
    Protection Act s.32; CIS code of conduct). Written at each opt-in, withdrawn at opt-out;
    never changed otherwise."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(
            "channel IN ('ussd', 'app', 'support', 'before_records')", name="channel_known"
        ),
        CheckConstraint(
            "withdrawn_at IS NULL OR withdrawn_at >= given_at", name="withdrawn_after_given"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    terms_version: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
