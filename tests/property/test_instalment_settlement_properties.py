"""The settlement quote, paid on any day of an instalment loan's life (before its first due
date, between due dates, on one, in arrears after the last), closes the loan and every
instalment with nothing left and nothing negative, whatever was paid before; the books stay
balanced and the borrower gets no credit balance.

Each example gets a fresh SQLite database (``fresh_fund``) and clock; the products vary in
method (EMI, declining, flat), day count, penalty and a grace (deferred interest).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.lending.models import LoanStatus
from tests.property.test_instalment_night_properties import fresh_fund
from tests.support.databases import SqliteFactory
from tests.support.instalments import checked_loan, instalment_rows, open_group_loan
from tests.support.lending import KES
from tests.support.settlement import quote_today


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    earlier=st.lists(
        st.tuples(st.integers(0, 40), st.integers(1, 6_000 * KES)), min_size=0, max_size=3
    ),
    days=st.integers(0, 130),
    method=st.sampled_from(["emi", "declining", "flat"]),
    day_count=st.sampled_from(["act365", "30/360"]),
    penalty_rate_bp=st.sampled_from([150, 36_500]),
    grace=st.sampled_from([0, 1]),
)
def test_the_quote_paid_on_any_day_closes_the_loan_with_nothing_left(
    sqlite_factory: SqliteFactory,
    tmp_path: Path,
    earlier: list[tuple[int, int]],
    days: int,
    method: str,
    day_count: str,
    penalty_rate_bp: int,
    grace: int,
) -> None:
    terms = {
        "schedule_method": method,
        "schedule_day_count": day_count,
        "penalty_rate_bp": penalty_rate_bp,
        "grace_principal": grace,
        "grace_interest": grace,
    }
    with fresh_fund(sqlite_factory, tmp_path) as fund:
        borrower_id, loan_id = open_group_loan(fund, **terms)
        for n, (gap, amount) in enumerate(earlier):
            fund.days_pass(gap)
            if checked_loan(fund, loan_id).status == LoanStatus.REPAID:
                return
            fund.repay(loan_id, amount, f"E{n}")
        fund.days_pass(days)
        loan = checked_loan(fund, loan_id)
        if loan.status == LoanStatus.REPAID:
            return
        credit_before = fund.borrower(borrower_id).credit_balance_minor
        quote = quote_today(fund, loan_id)
        assert min(quote.principal_minor, quote.interest_minor, quote.penalty_minor) >= 0
        assert quote.total_minor >= loan.outstanding_minor
        fund.repay(loan_id, quote.total_minor, "SETTLE")
        loan = checked_loan(fund, loan_id)
        assert (loan.status, loan.outstanding_minor) == (LoanStatus.REPAID, 0)
        for row in instalment_rows(fund, loan_id):
            assert row.status == "paid"
            assert row.left_minor == 0
        assert fund.borrower(borrower_id).credit_balance_minor == credit_before
