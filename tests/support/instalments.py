"""An instalment product to lend on, and the invariant a loan's instalments keep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.lending.instalments import instalments_of
from app.lending.models import Loan
from app.products.models import Product
from tests.support.lending import KES, Fund

GROUP_CODE = "group3"


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
