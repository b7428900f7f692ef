"""The audit's two findings — loans before opt-in and loans over the limit — made impossible,
in Python, in the database, and under concurrent requests for one borrower."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.borrowers.errors import NotOptedIn
from app.errors import DomainError
from app.lending import errors
from app.lending.models import Loan
from app.onboarding.service import opt_out
from app.payments.models import Payout, PayoutStatus
from tests.support.lending import KES, Fund

THREADS = 8


def test_no_loan_before_opting_in(fund: Fund) -> None:
    borrower_id = fund.register()
    with fund.sessions.unit_of_work() as session:
        opt_out(session, borrower_id, fund.clock())
    with pytest.raises(NotOptedIn):
        fund.request(borrower_id, 500 * KES, "after-opt-out")


def test_the_database_refuses_a_second_open_loan_and_an_over_limit_loan(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    with fund.sessions.reader() as session:
        loan = session.scalar(select(Loan))
        assert loan is not None
    copy_columns = (
        "borrower_id, product_id, product_terms, status, credit_limit_minor, "
        "principal_pending_minor, principal_disbursed_minor, "
        "principal_outstanding_minor, interest_outstanding_minor, "
        "penalty_outstanding_minor, days_accrued, carry_units, "
        "interest_accrued_minor, penalty_accrued_minor, created_at"
    )
    with pytest.raises(IntegrityError), fund.sessions.database.write_engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO loans (account_number, {copy_columns}) "
                f"SELECT 'MK-DUP', {copy_columns} FROM loans"
            )
        )
    with pytest.raises(IntegrityError), fund.sessions.database.write_engine.begin() as conn:
        conn.execute(text("UPDATE loans SET principal_outstanding_minor = credit_limit_minor + 1"))


@pytest.mark.postgres
def test_concurrent_requests_for_one_borrower_make_at_most_one_loan_within_the_limit(
    pg_fund: Fund,
) -> None:
    fund = pg_fund
    borrower_id = fund.register()
    start = threading.Barrier(THREADS)

    def attempt(n: int) -> str:
        start.wait()
        try:
            fund.request(borrower_id, 1_500 * KES, f"race-{n}")
        except DomainError as exc:
            return exc.code
        return "created"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(attempt, range(THREADS)))
    assert outcomes.count("created") == 1
    assert set(outcomes) <= {"created", errors.LoanInFlight.code}
    with fund.sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(Loan)) == 1
    for payout_id in _open_payouts(fund):
        fund.settle(payout_id)

    def top_up(n: int) -> str:
        start.wait()
        try:
            fund.request(borrower_id, 300 * KES, f"top-up-{n}")
        except DomainError as exc:
            return exc.code
        return "created"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(top_up, range(THREADS)))
    assert outcomes.count("created") == 1  # one top-up in flight at a time
    for payout_id in _open_payouts(fund):
        fund.settle(payout_id)
    with fund.sessions.reader() as session:
        loan = session.scalar(select(Loan))
        assert loan is not None
        assert loan.principal_outstanding_minor == 1_800 * KES <= loan.credit_limit_minor
    fund.assert_books_agree()


def _open_payouts(fund: Fund) -> list[int]:
    with fund.sessions.reader() as session:
        return list(session.scalars(select(Payout.id).where(Payout.status == PayoutStatus.PENDING)))
