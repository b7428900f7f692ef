"""Loans, repayments, limit decisions, accrual runs: the lending subledger.

A loan's outstanding principal, interest and penalty live here and in the ledger's control
accounts (1200, 1210, 1220), moved together in one transaction by every use case;
``app.accounting.reconcile_books`` proves they agree.

Database invariants: at most one open personal loan per borrower and one open SME loan per
business (partial unique indexes); every
balance non-negative; outstanding plus in-flight principal within the limit stamped on the
loan; a repayment's allocation sums to its amount.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, JSONDoc, UTCDateTime


class LoanStatus(enum.StrEnum):
    DISBURSING = "disbursing"
    """Created; the first disbursement is on its way (held in the ledger)."""
    ACTIVE = "active"
    REPAID = "repaid"
    DEFAULTED = "defaulted"
    """Unpaid on the product's default day; still owed, borrower frozen."""
    WRITTEN_OFF = "written_off"
    CANCELLED = "cancelled"
    """The first disbursement failed: nothing was lent."""


OPEN_STATUSES = (LoanStatus.DISBURSING, LoanStatus.ACTIVE, LoanStatus.DEFAULTED)
_OPEN = "status IN ('disbursing', 'active', 'defaulted')"
OPEN_PERSONAL = f"{_OPEN} AND business_id IS NULL"
OPEN_OF_BUSINESS = f"{_OPEN} AND business_id IS NOT NULL"


class Loan(Base):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint(
            "status IN ('disbursing', 'active', 'repaid', 'defaulted', 'written_off', 'cancelled')",
            name="status_known",
        ),
        CheckConstraint(
            "principal_pending_minor >= 0 AND principal_disbursed_minor >= 0 "
            "AND principal_outstanding_minor >= 0 AND interest_outstanding_minor >= 0 "
            "AND penalty_outstanding_minor >= 0 AND interest_accrued_minor >= 0 "
            "AND penalty_accrued_minor >= 0 AND carry_units >= 0 AND days_accrued >= 0",
            name="amounts_non_negative",
        ),
        CheckConstraint(
            "principal_outstanding_minor + principal_pending_minor <= credit_limit_minor",
            name="within_limit",
        ),
        CheckConstraint(
            "restructure_count >= 0 AND (restructure_count = 0) = (restructured_at IS NULL)",
            name="restructures",
        ),
        Index(
            "uq_loans_one_open_per_borrower",
            "borrower_id",
            unique=True,
            postgresql_where=text(OPEN_PERSONAL),
            sqlite_where=text(OPEN_PERSONAL),
        ),
        Index(
            "uq_loans_one_open_per_business",
            "business_id",
            unique=True,
            postgresql_where=text(OPEN_OF_BUSINESS),
            sqlite_where=text(OPEN_OF_BUSINESS),
        ),
        Index("ix_loans_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_number: Mapped[str] = mapped_column(String(12), unique=True)
    """Shown to the borrower; the paybill account number (C2B BillRefNumber)."""
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    business_id: Mapped[int | None] = mapped_column(ForeignKey("businesses.id"))
    """An SME loan's business (``app.sme``): the borrower is its owner; NULL for a personal
    loan. A borrower has at most one open personal loan, a business one open SME loan."""
    product_terms: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """The product's terms when the loan was made: later product edits never change a loan."""
    status: Mapped[str] = mapped_column(String(16))
    credit_limit_minor: Mapped[int] = mapped_column(BigInteger)
    """The borrower's limit when the loan (or its latest top-up) was approved (an SME loan:
    its business's)."""
    principal_pending_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Principal of disbursements sent but not yet confirmed by the provider."""
    principal_disbursed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Principal of confirmed disbursements (first tranche plus top-ups)."""
    principal_outstanding_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    interest_outstanding_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    penalty_outstanding_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    days_accrued: Mapped[int] = mapped_column(Integer, default=0)
    """Days of the loan's life whose interest is already accrued (day 1 = the day after)."""
    carry_units: Mapped[int] = mapped_column(BigInteger, default=0)
    """Fraction of a cent of interest carried to the next day (``app.loan_math.interest``)."""
    interest_accrued_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    penalty_accrued_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    """Business date (Nairobi) of the first confirmed disbursement: day 0."""
    due_on: Mapped[date | None] = mapped_column(Date)
    defaulted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    written_off_minor: Mapped[int | None] = mapped_column(BigInteger)
    """What was owed when the loan was written off (principal, interest and penalty): still
    owed by the borrower, and what the bureau files report for it."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    restructured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the loan was last restructured (rescheduled under four eyes); None if never."""
    restructure_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How many times it was restructured (prudential reporting and the CRB export)."""

    @property
    def outstanding_minor(self) -> int:
        return (
            self.principal_outstanding_minor
            + self.interest_outstanding_minor
            + self.penalty_outstanding_minor
        )


class RepaymentChannel(enum.StrEnum):
    STK = "stk"
    C2B = "c2b"
    SAVINGS = "savings"
    """Held short-term savings applied to a defaulted debt by policy."""
    CREDIT_BALANCE = "credit_balance"
    """An earlier overpayment applied to this loan."""


class Repayment(Base):
    __tablename__ = "repayments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "principal_minor >= 0 AND interest_minor >= 0 AND penalty_minor >= 0 "
            "AND overpayment_minor >= 0",
            name="parts_non_negative",
        ),
        CheckConstraint(
            "principal_minor + interest_minor + penalty_minor + overpayment_minor = amount_minor",
            name="allocation_sums",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    """E.g. ``mpesa:<receipt>``: one payment is applied once, whatever the channel."""
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_receipt: Mapped[str | None] = mapped_column(String(32))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    penalty_minor: Mapped[int] = mapped_column(BigInteger)
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    overpayment_minor: Mapped[int] = mapped_column(BigInteger)
    """Paid beyond the debt: credited to the borrower's credit balance."""
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LimitDecision(Base):
    """Every change of a borrower's limit, with why (Data Protection Act s.35)."""

    __tablename__ = "limit_decisions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    previous_limit_minor: Mapped[int] = mapped_column(BigInteger)
    limit_minor: Mapped[int] = mapped_column(BigInteger)
    band: Mapped[str | None] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(String(32))
    """initial, step_up, default_reset, override, rescore."""
    facts: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    """The inputs of the decision (no personal identifiers)."""
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccrualRun(Base):
    """One run of the daily accrual job for a business date: counts and totals."""

    __tablename__ = "accrual_runs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    loans_accrued: Mapped[int] = mapped_column(Integer)
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    penalty_minor: Mapped[int] = mapped_column(BigInteger)
    loans_defaulted: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InstalmentStatus(enum.StrEnum):
    OPEN = "open"
    """Owes something, or may yet (the live schedule)."""
    PAID = "paid"
    """Paid in full: principal, interest and penalty (a settled loan's last instalments carry
    only the interest charged to the settlement date)."""
    WRITTEN_OFF = "written_off"
    """Its loan was written off: what it owed went to loan losses with the loan's."""
    SUPERSEDED = "superseded"
    """Replaced by a restructure's new schedule (kept for the record; no longer owed)."""


INSTALMENT_STATUSES = tuple(status.value for status in InstalmentStatus)


class LoanInstalment(Base):
    """One instalment of an instalment loan's schedule: what falls due, and what was paid.

    Written when the loan becomes active (bullet loans have no rows). The detail of the
    loan's outstanding columns: principal outstanding = sum(principal - paid principal);
    interest outstanding = sum(interest recognised - paid interest) (an instalment's interest
    is recognised when it falls due; ``app.lending.instalments``).
    """

    __tablename__ = "loan_instalments"
    __table_args__ = (
        UniqueConstraint("loan_id", "number", name="uq_loan_instalments_loan_number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint(
            "principal_minor >= 0 AND interest_minor >= 0 "
            "AND total_minor = principal_minor + interest_minor",
            name="amounts_add_up",
        ),
        CheckConstraint(
            "paid_principal_minor >= 0 AND paid_principal_minor <= principal_minor "
            "AND paid_interest_minor >= 0 AND paid_interest_minor <= interest_recognised_minor "
            "AND interest_recognised_minor >= 0 AND interest_recognised_minor <= interest_minor",
            name="paid_within_due",
        ),
        CheckConstraint(
            "penalty_minor >= 0 AND paid_penalty_minor >= 0 "
            "AND paid_penalty_minor <= penalty_minor "
            "AND penalty_carry_units >= 0 AND penalty_carry_units < 3650000",
            name="penalty_within_due",
        ),
        CheckConstraint(
            "status IN ('open', 'paid', 'written_off', 'superseded')", name="status_known"
        ),
        CheckConstraint(
            "status <> 'paid' OR (paid_principal_minor = principal_minor "
            "AND paid_interest_minor = interest_minor AND paid_penalty_minor = penalty_minor)",
            name="paid_means_paid",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    """1 for the first instalment."""
    due_on: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    """When this instalment's interest period starts: the previous instalment's due date, the
    disbursement, or the restructure that wrote it."""
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    """Principal due with this instalment, as scheduled."""
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    """Interest due with this instalment, as scheduled (a settlement brings it down to what
    was charged: the interest accrued to the settlement date)."""
    period_interest_minor: Mapped[int] = mapped_column(BigInteger)
    """What its own period accrues, as scheduled (differs from ``interest_minor`` under a grace
    on interest): the basis of the settlement quote."""
    total_minor: Mapped[int] = mapped_column(BigInteger)
    interest_recognised_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Interest of this instalment posted to interest receivable (1210): all of it once the
    instalment is due, none before."""
    paid_principal_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Principal paid: when due, or earlier by a prepayment (the last instalments first)."""
    paid_interest_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    penalty_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """Penalty charged on this instalment's overdue principal and interest by the nightly run
    (``app.lending.instalment_accrual``)."""
    paid_penalty_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    penalty_carry_units: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """Fraction of a cent of penalty carried to the next day (``app.loan_math.interest``)."""
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    """``InstalmentStatus``: open while it is owed; paid, written off or superseded after.
    A database guard (``app.lending.instalment_ddl``) keeps an open instalment off a
    written-off loan."""

    @property
    def paid_minor(self) -> int:
        return self.paid_principal_minor + self.paid_interest_minor + self.paid_penalty_minor

    @property
    def left_minor(self) -> int:
        """What this instalment still asks for: its total and penalty less what was paid."""
        return self.total_minor + self.penalty_minor - self.paid_minor

    @property
    def overdue_base_minor(self) -> int:
        """Principal and scheduled interest not yet paid: what penalty is charged on once the
        instalment is overdue (never penalty on penalty)."""
        return (
            self.principal_minor
            - self.paid_principal_minor
            + self.interest_minor
            - self.paid_interest_minor
        )

    @property
    def is_paid(self) -> bool:
        return self.overdue_base_minor == 0 and self.paid_penalty_minor == self.penalty_minor
