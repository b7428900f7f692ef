"""Products are rows, not code: the Personal Loan and the Bridge Loan differ only in data.

Rates are integer basis points a year (800 = 8%); shares of a whole are basis points too
(500 = 5%, 7000 = 70%); amounts are cents.

A product is ``bullet`` (one repayment ``term_days`` after disbursement, the Personal Loan) or
``instalment`` (a repayment schedule built by ``app.loan_math.schedules`` from the schedule
columns below). Database guard: the schedule columns are set if and only if the product is
instalment-kind, with known values and positive counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, JSONDoc, UTCDateTime

INDIVIDUAL_AUDIENCE = "individual"


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(
            "min_amount_minor > 0 AND max_amount_minor >= min_amount_minor", name="amount_range"
        ),
        CheckConstraint("audience IN ('individual', 'group', 'business')", name="audience_known"),
        CheckConstraint("term_days > 0", name="term_positive"),
        CheckConstraint("regular_rate_bp >= 0 AND penalty_rate_bp >= 0", name="rates_known"),
        CheckConstraint(
            "penalty_from_day > 0 AND default_day >= penalty_from_day "
            "AND accrual_stop_day >= default_day",
            name="days_ordered",
        ),
        CheckConstraint("savings_bp >= 0 AND savings_bp < 10000", name="savings_share"),
        CheckConstraint("savings_long_bp >= 0 AND savings_long_bp <= 10000", name="long_share"),
        CheckConstraint("kind IN ('bullet', 'instalment')", name="kind_known"),
        CheckConstraint(
            "(kind = 'bullet' AND schedule_method IS NULL AND schedule_frequency IS NULL "
            "AND instalment_count IS NULL AND schedule_rounding IS NULL "
            "AND schedule_day_count IS NULL AND default_after_dpd IS NULL "
            "AND grace_principal = 0 AND grace_interest = 0) "
            "OR (kind = 'instalment' AND schedule_method IS NOT NULL "
            "AND schedule_frequency IS NOT NULL AND instalment_count IS NOT NULL "
            "AND schedule_rounding IS NOT NULL AND schedule_day_count IS NOT NULL "
            "AND default_after_dpd IS NOT NULL "
            "AND schedule_method IN ('emi', 'declining', 'flat') "
            "AND schedule_frequency IN ('weekly', 'fortnightly', 'monthly') "
            "AND schedule_rounding IN ('cents', 'shillings') "
            "AND schedule_day_count IN ('act365', '30/360') "
            "AND instalment_count > 0 AND instalment_count <= 360 "
            "AND default_after_dpd > 0 AND grace_interest >= 0 "
            "AND grace_interest <= grace_principal AND grace_principal < instalment_count)",
            name="schedule_iff_instalment",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    min_amount_minor: Mapped[int] = mapped_column(BigInteger)
    max_amount_minor: Mapped[int] = mapped_column(BigInteger)
    term_days: Mapped[int] = mapped_column(Integer)
    """Days from disbursement to the due date."""
    regular_rate_bp: Mapped[int] = mapped_column(Integer)
    penalty_rate_bp: Mapped[int] = mapped_column(Integer)
    penalty_from_day: Mapped[int] = mapped_column(Integer)
    """First day charged at the penalty rate (the Personal Loan: day 15)."""
    default_day: Mapped[int] = mapped_column(Integer)
    """Unpaid on this day: the loan defaults and the borrower is frozen."""
    accrual_stop_day: Mapped[int] = mapped_column(Integer)
    savings_bp: Mapped[int] = mapped_column(Integer)
    """Share of each disbursement withheld as savings (500 = 5%)."""
    savings_long_bp: Mapped[int] = mapped_column(Integer)
    """Share of the savings that is long-term (7000 = 70%); the rest is short-term."""
    allocation_order: Mapped[list[str]] = mapped_column(JSONDoc)
    """Order repayments clear the debt: a permutation of penalty, interest, principal."""
    eligible_bands: Mapped[list[str] | None] = mapped_column(JSONDoc)
    """Score bands allowed to borrow this product; NULL = everyone opted in."""
    kind: Mapped[str] = mapped_column(String(12), default="bullet", server_default="bullet")
    """``bullet`` (one repayment on day ``term_days``) or ``instalment`` (a schedule)."""
    schedule_method: Mapped[str | None] = mapped_column(String(12))
    """Instalment products: ``emi``, ``declining`` or ``flat`` (schedules.terms.Method)."""
    schedule_frequency: Mapped[str | None] = mapped_column(String(12))
    """Instalment products: ``weekly``, ``fortnightly`` or ``monthly``."""
    instalment_count: Mapped[int | None] = mapped_column(Integer)
    """Instalment products: the number of instalments (the schedule's term)."""
    schedule_rounding: Mapped[str | None] = mapped_column(String(12))
    """Instalment products: ``cents`` or ``shillings``."""
    schedule_day_count: Mapped[str | None] = mapped_column(String(12))
    """Instalment products: ``act365`` or ``30/360``."""
    grace_principal: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """The first N instalments pay interest only (0 for bullet products)."""
    grace_interest: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """The first N instalments pay nothing, their interest deferred (0 for bullet products)."""
    audience: Mapped[str] = mapped_column(
        String(12), default="individual", server_default="individual"
    )
    """``individual`` (a borrower borrows it), ``group`` (only a group, through
    ``app.groups``) or ``business`` (only a registered business, through ``app.sme``): an
    individual is never offered or lent a group or business product."""
    default_after_dpd: Mapped[int | None] = mapped_column(Integer)
    """Instalment products: the loan defaults at this many days past due (the oldest unpaid
    instalment's age). Bullet products default on ``default_day`` instead."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped by every approved change."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def as_terms(self) -> dict[str, Any]:
        return {c.name: getattr(self, c.name) for c in self.__table__.columns}
