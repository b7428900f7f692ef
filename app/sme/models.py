"""Businesses (the borrowers of SME loans) and their limit decisions; the SME product's rules.

Database invariants: a registration number, a KRA PIN, a till and an owner belong to one
business each (unique); the KRA PIN's and the registration number's formats are CHECKed
(the register's answer is checked when registering); the limit is >= 0. The SME product's
rules (``business_product_rules``, one row per business product) keep the term range, the
four-eyes threshold and the cash-flow multiple as data.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, JSONDoc, UTCDateTime

BUSINESS_AUDIENCE = "business"
OPEN_APPLICATION = "status IN ('pending', 'awaiting_second')"


class Business(Base):
    __tablename__ = "businesses"
    __table_args__ = (
        CheckConstraint("length(kra_pin) = 11", name="kra_pin_length"),
        CheckConstraint("substr(kra_pin, 1, 1) IN ('A', 'P')", name="kra_pin_kind"),
        CheckConstraint(
            "registration_number LIKE 'BN-_______' OR registration_number LIKE 'PVT-_______'",
            name="registration_format",
        ),
        CheckConstraint("length(till_number) BETWEEN 5 AND 7", name="till_length"),
        CheckConstraint("limit_minor >= 0", name="limit_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    owner_borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), unique=True)
    registration_number: Mapped[str] = mapped_column(String(12), unique=True)
    """Normalised, e.g. ``PVT-AJU7QL9`` (checked against the business register)."""
    name: Mapped[str] = mapped_column(String(100))
    """The register's name for it."""
    kra_pin: Mapped[str] = mapped_column(String(11), unique=True)
    till_number: Mapped[str] = mapped_column(String(7), unique=True)
    """The business's M-Pesa till or paybill: its cash flow is read from it."""
    limit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BusinessLimitDecision(Base):
    """Every change of a business's limit, with why (as ``LimitDecision`` for borrowers)."""

    __tablename__ = "business_limit_decisions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    previous_limit_minor: Mapped[int] = mapped_column(BigInteger)
    limit_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32))
    """``cash_flow`` (computed), ``owner_defaulted``, ``no_cash_flow``, ``below_minimum``."""
    facts: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """The inputs: monthly net inflows, the owner's record, the multiple and caps."""
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BusinessProductRules(Base):
    """The data of a business product beyond ``products``: what an application may ask."""

    __tablename__ = "business_product_rules"
    __table_args__ = (
        CheckConstraint(
            "min_instalments > 0 AND max_instalments >= min_instalments", name="term_range"
        ),
        CheckConstraint("four_eyes_above_minor >= 0", name="threshold_known"),
        CheckConstraint("cash_flow_multiple_bp > 0", name="multiple_positive"),
        CheckConstraint("cash_flow_months > 0", name="months_positive"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), unique=True)
    min_instalments: Mapped[int] = mapped_column(Integer)
    max_instalments: Mapped[int] = mapped_column(Integer)
    four_eyes_above_minor: Mapped[int] = mapped_column(BigInteger)
    """Applications above this amount need a second officer's approval."""
    cash_flow_multiple_bp: Mapped[int] = mapped_column(Integer)
    """The limit is this multiple (basis points: 20000 = 2x) of the average monthly net inflow."""
    cash_flow_months: Mapped[int] = mapped_column(Integer)
    """How many whole months of the till's statement the average is over."""


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    """Asked by the owner; a credit officer decides."""
    AWAITING_SECOND = "awaiting_second"
    """Above the four-eyes threshold: approved by one officer, a second must approve
    (``sme_loan_approval`` request in the one engine)."""
    APPROVED = "approved"
    """Approved: the loan exists (``loan_id``) and its payouts are on their way."""
    REJECTED = "rejected"


class SmeApplication(Base):
    """An SME loan application: the amount, the term and the schedule the owner was quoted."""

    __tablename__ = "sme_applications"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'awaiting_second', 'approved', 'rejected')",
            name="status_known",
        ),
        CheckConstraint("amount_minor > 0 AND instalments > 0", name="terms_positive"),
        CheckConstraint("(status = 'approved') = (loan_id IS NOT NULL)", name="loan_iff_approved"),
        CheckConstraint(
            "(status IN ('pending', 'awaiting_second')) = (decided_at IS NULL)",
            name="decided_when_closed",
        ),
        Index(
            "uq_sme_applications_one_open_per_business",
            "business_id",
            unique=True,
            postgresql_where=text(OPEN_APPLICATION),
            sqlite_where=text(OPEN_APPLICATION),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    request_key: Mapped[str] = mapped_column(String(128), unique=True)
    """The app's Idempotency-Key: a resend returns the first application."""
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    instalments: Mapped[int] = mapped_column(Integer)
    quoted: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """The quote accepted: cash, savings, interest and the schedule (due dates from the day
    it was quoted; the loan's schedule runs from the day its money arrives)."""
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    """The username of the (first) officer who approved, or who rejected."""
    approval_request_id: Mapped[int | None] = mapped_column(ForeignKey("approval_requests.id"))
    """The second approval's four-eyes request (above the threshold)."""
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(300))
    """Why it was rejected."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
