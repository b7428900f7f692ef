"""A group loan and its payout legs.

- ``GroupLoan``: the loan a ``ready_for_payout`` application became, owed by the group (its
  own receivable, ledger account 1230): the principal in flight, paid out and outstanding,
  and the 5% withheld to the group's savings.
- ``GroupPayoutLeg``: one member's share of it on its way to their wallet: the cash sent, the
  savings withheld, how many payouts were tried, the current payout, and whether the leg is
  ``paying``, ``settled`` or ``held`` (given up after ``MAX_LEG_ATTEMPTS`` failed payouts).

Invariants in the database: one loan per application; one leg per (loan, member); amounts
never negative and parts adding up; statuses known; a settled or held leg has its end date.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from ledger.sqltypes import BigIntPK, UTCDateTime


class GroupLoanStatus(enum.StrEnum):
    DISBURSING = "disbursing"
    """Legs still on their way."""
    ACTIVE = "active"
    """Every leg settled or held; the group owes what was paid out."""
    CANCELLED = "cancelled"
    """Every leg was held: nothing was lent."""
    REPAID = "repaid"
    """Every instalment paid."""
    DEFAULTED = "defaulted"
    """In arrears for the product's ``default_after_dpd`` days (90): still owed and accrued
    on, members still frozen, repaid like an active loan."""


OPEN_GROUP_LOAN_STATUSES = (GroupLoanStatus.ACTIVE, GroupLoanStatus.DEFAULTED)


class LegStatus(enum.StrEnum):
    PAYING = "paying"
    SETTLED = "settled"
    HELD = "held"
    """Every attempt failed: the share was not lent; the officials were told."""


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class GroupLoan(Base):
    __tablename__ = "group_loans"
    __table_args__ = (
        CheckConstraint(_one_of("status", GroupLoanStatus), name="status_known"),
        CheckConstraint(
            "principal_minor > 0 AND principal_pending_minor >= 0 "
            "AND principal_disbursed_minor >= 0 AND principal_outstanding_minor >= 0 "
            "AND savings_minor >= 0",
            name="amounts_non_negative",
        ),
        CheckConstraint(
            "principal_pending_minor + principal_disbursed_minor <= principal_minor",
            name="within_principal",
        ),
        CheckConstraint(
            "(status = 'disbursing') = (activated_at IS NULL)", name="activated_when_done"
        ),
        CheckConstraint(
            "interest_outstanding_minor >= 0 AND penalty_outstanding_minor >= 0 "
            "AND penalty_accrued_minor >= penalty_outstanding_minor AND days_accrued >= 0",
            name="charges_non_negative",
        ),
        CheckConstraint(
            "(status IN ('repaid', 'cancelled')) = (closed_at IS NOT NULL)",
            name="closed_when_ended",
        ),
        CheckConstraint(
            "status <> 'defaulted' OR defaulted_on IS NOT NULL", name="defaulted_has_date"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("group_applications.id"), unique=True)
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    """The amount approved (the application's)."""
    principal_pending_minor: Mapped[int] = mapped_column(BigInteger)
    """Shares on their way (legs paying)."""
    principal_disbursed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    principal_outstanding_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    savings_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Withheld from the settled legs into the group's savings."""
    interest_outstanding_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Interest recognised (instalments fallen due) and not yet paid: ledger 1240."""
    penalty_outstanding_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Penalty charged on overdue instalments and not yet paid: ledger 1250."""
    penalty_accrued_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Penalty charged over the loan's life (in-duplum)."""
    arrears_since: Mapped[date | None] = mapped_column(Date)
    """The due date of the oldest instalment overdue and unpaid; None when not in arrears
    (``app.groups.arrears``)."""
    defaulted_on: Mapped[date | None] = mapped_column(Date)
    days_accrued: Mapped[int] = mapped_column(Integer, default=0)
    """The loan day the nightly run has brought it to (a rerun adds nothing)."""
    account_number: Mapped[str | None] = mapped_column(String(12), unique=True)
    """``MG...`` (``app.groups.account_numbers``): the paybill account of the group's loan."""
    status: Mapped[str] = mapped_column(String(12))
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    """The business date the last leg settled (day 0 of the schedule)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GroupLoanInstalment(Base):
    """One instalment the group owes, from the schedule the application chose, written when
    the loan becomes active on the principal paid out."""

    __tablename__ = "group_loan_instalments"
    __table_args__ = (
        UniqueConstraint("group_loan_id", "number", name="uq_group_loan_instalments_number"),
        CheckConstraint("status IN ('open', 'paid')", name="status_known"),
        CheckConstraint(
            "principal_minor >= 0 AND interest_minor >= 0 AND paid_principal_minor >= 0 "
            "AND paid_principal_minor <= principal_minor "
            "AND interest_recognised_minor BETWEEN 0 AND interest_minor "
            "AND paid_interest_minor BETWEEN 0 AND interest_recognised_minor "
            "AND paid_penalty_minor BETWEEN 0 AND penalty_minor AND penalty_carry_units >= 0",
            name="paid_within_owed",
        ),
        CheckConstraint(
            "status <> 'paid' OR (paid_principal_minor = principal_minor "
            "AND paid_interest_minor = interest_minor AND paid_penalty_minor = penalty_minor)",
            name="paid_means_paid",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    group_loan_id: Mapped[int] = mapped_column(ForeignKey("group_loans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    interest_recognised_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_principal_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_interest_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    penalty_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Penalty charged on this instalment while overdue (the nightly run)."""
    paid_penalty_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    penalty_carry_units: Mapped[int] = mapped_column(BigInteger, default=0)
    """The fraction of a cent of penalty carried to the next day."""
    status: Mapped[str] = mapped_column(String(8), default="open")

    @property
    def is_paid(self) -> bool:
        """Owes nothing of its principal, scheduled interest or penalty."""
        return (
            self.paid_principal_minor == self.principal_minor
            and self.paid_interest_minor == self.interest_minor
            and self.paid_penalty_minor == self.penalty_minor
        )


class GroupContribution(Base):
    """One payment towards a group loan: the member who paid, what it paid and how it was
    allocated (the group's contribution ledger)."""

    __tablename__ = "group_contributions"
    __table_args__ = (
        CheckConstraint(
            "amount_minor > 0 AND principal_minor >= 0 AND interest_minor >= 0 "
            "AND penalty_minor >= 0 AND overpayment_minor >= 0 AND amount_minor = "
            "principal_minor + interest_minor + penalty_minor + overpayment_minor",
            name="parts_add_up",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    group_loan_id: Mapped[int] = mapped_column(ForeignKey("group_loans.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    """``mpesa:<receipt>`` for a paybill payment: one payment, one contribution."""
    channel: Mapped[str] = mapped_column(String(8))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    penalty_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    overpayment_minor: Mapped[int] = mapped_column(BigInteger)
    """Beyond everything owed: the payer's credit balance (ledger 2200)."""
    receipt: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupPayoutLeg(Base):
    __tablename__ = "group_payout_legs"
    __table_args__ = (
        UniqueConstraint(
            "group_loan_id", "borrower_id", name="uq_group_payout_legs_one_per_member"
        ),
        CheckConstraint(_one_of("status", LegStatus), name="status_known"),
        CheckConstraint(
            "cash_minor >= 0 AND savings_minor >= 0 "
            "AND principal_minor = cash_minor + savings_minor AND principal_minor > 0",
            name="parts_add_up",
        ),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("(status = 'paying') = (ended_at IS NULL)", name="ended_when_done"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    group_loan_id: Mapped[int] = mapped_column(ForeignKey("group_loans.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    """The member's share."""
    cash_minor: Mapped[int] = mapped_column(BigInteger)
    savings_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Payouts made for this leg so far (each with its own idempotency key)."""
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), unique=True)
    """The latest payout (earlier failed ones name the leg in their idempotency key)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
