"""An instalment product to lend on, and the invariant a loan's instalments keep."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.clock import business_date
from app.lending.instalments import instalments_of
from app.lending.models import Loan, LoanInstalment
from app.notifications.models import SmsMessage
from app.products.models import Product
from tests.support.lending import KES, Fund

GROUP_CODE = "group3"
GROUP_PRINCIPAL = 12_000 * KES
"""The worked example's loan: 4,047.14 on 2 April 2026, 4,047.14 on 2 May, 4,047.15 on
2 June (disbursed on 2 March, the frozen clock's day)."""

RESTRUCTURED_OVER_4 = [(n, "superseded") for n in (1, 2, 3)] + [(n, "open") for n in (4, 5, 6, 7)]
"""(number, status) of the worked loan's rows once rescheduled over 4 instalments while all
3 were open: the new rows are numbered after the old ones."""


def add_group_product(fund: Fund, now: datetime, **overrides: Any) -> None:
    """A group-style product: 7% a year, 3 monthly EMI instalments, ACT/365, cents,
    KES 1,000 - 1,000,000, 5% savings 70/30, penalty 1.5% a year from the first day past
    due, default at 30 days past due; ``overrides`` replace any column."""
    columns: dict[str, Any] = {
        "code": GROUP_CODE,
        "name": "Group Loan (3 months)",
        "min_amount_minor": 1_000 * KES,
        "max_amount_minor": 1_000_000 * KES,
        "term_days": 92,
        "regular_rate_bp": 700,
        "penalty_rate_bp": 150,
        "penalty_from_day": 1,
        "default_day": 30,
        "accrual_stop_day": 365,
        "savings_bp": 500,
        "savings_long_bp": 7000,
        "allocation_order": ["penalty", "interest", "principal"],
        "eligible_bands": None,
        "active": True,
        "version": 1,
        "updated_at": now,
        "kind": "instalment",
        "schedule_method": "emi",
        "schedule_frequency": "monthly",
        "instalment_count": 3,
        "schedule_rounding": "cents",
        "schedule_day_count": "act365",
        "grace_principal": 0,
        "grace_interest": 0,
        "default_after_dpd": 30,
    }
    columns.update(overrides)
    with fund.sessions.unit_of_work() as session:
        session.add(Product(**columns))


def assert_outstanding_is_the_instalments(session: Session, loan: Loan) -> None:
    """The loan's outstanding columns equal the sums over its instalments."""
    rows = instalments_of(session, loan.id)
    principal = sum(row.principal_minor - row.paid_principal_minor for row in rows)
    interest = sum(row.interest_recognised_minor - row.paid_interest_minor for row in rows)
    penalty = sum(row.penalty_minor - row.paid_penalty_minor for row in rows)
    assert (
        loan.principal_outstanding_minor,
        loan.interest_outstanding_minor,
        loan.penalty_outstanding_minor,
    ) == (principal, interest, penalty)
    assert loan.penalty_accrued_minor == sum(row.penalty_minor for row in rows)


def open_group_loan(
    fund: Fund, national_id: str | None = None, phone: str | None = None, **overrides: Any
) -> tuple[int, int]:
    """The group product (with ``overrides``), a borrower with a KES 20,000 limit, and a
    KES 12,000 loan disbursed today: (borrower, loan)."""
    add_group_product(fund, fund.clock(), **overrides)
    who = {k: v for k, v in (("national_id", national_id), ("phone", phone)) if v}
    borrower_id = fund.register(**who)
    return borrower_id, lend_group(fund, borrower_id)


def lend_group(fund: Fund, borrower_id: int) -> int:
    """Raise the borrower's limit to KES 20,000 and disburse the group product's KES 12,000
    today (the product must exist); returns the loan id."""
    with fund.sessions.unit_of_work() as session:
        session.get(Borrower, borrower_id).credit_limit_minor = 20_000 * KES  # type: ignore[union-attr]
    key = f"group-loan-{borrower_id}"
    payout = fund.request(borrower_id, GROUP_PRINCIPAL, key, product=GROUP_CODE)
    fund.settle(payout.id)
    return fund.loan_of(borrower_id).id


def instalment_rows(fund: Fund, loan_id: int) -> list[LoanInstalment]:
    with fund.sessions.reader() as session:
        return instalments_of(session, loan_id)


def checked_loan(fund: Fund, loan_id: int) -> Loan:
    """The loan, after checking its instalments' invariant and the books."""
    with fund.sessions.reader() as session:
        loan = session.get(Loan, loan_id)
        assert loan is not None
        assert_outstanding_is_the_instalments(session, loan)
    fund.assert_books_agree()
    return loan


def travel_to(fund: Fund, day: date) -> None:
    """Move the clock to ``day`` (same time of day), running the nightly accrual once."""
    fund.days_pass((day - business_date(fund.clock())).days)


def night_by_night(fund: Fund, loan_id: int, day: date) -> None:
    """Run every night up to ``day``, checking the invariant and the books after each."""
    while business_date(fund.clock()) < day:
        fund.days_pass(1)
        checked_loan(fund, loan_id)


def sms_text(fund: Fund, dedupe_key: str) -> str | None:
    """The text of the SMS queued under ``dedupe_key``, if any."""
    with fund.sessions.reader() as session:
        return session.scalar(select(SmsMessage.text).where(SmsMessage.dedupe_key == dedupe_key))
