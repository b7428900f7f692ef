"""A borrower's whole journey, in the fund's numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.borrowers.models import Borrower
from app.clock import business_date
from app.lending import errors
from app.lending.accrual import accrue_through
from app.lending.models import Loan, LoanStatus
from app.lending.origination import quote
from app.payments.models import Payout, PayoutStatus
from integrations.payments.memory import INSUFFICIENT_FUNDS
from tests.support.lending import KES, Fund


def loan_of(fund: Fund, borrower_id: int) -> Loan:
    return fund.loan_of(borrower_id)


def borrower(fund: Fund, borrower_id: int) -> Borrower:
    return fund.borrower(borrower_id)


def days_pass(fund: Fund, days: int) -> None:
    fund.days_pass(days)


def repay(fund: Fund, loan_id: int, amount_minor: int, receipt: str) -> None:
    fund.repay(loan_id, amount_minor, receipt)


def test_the_quote_for_10000_shows_500_savings_9500_cash_30_68_interest(fund: Fund) -> None:
    borrower_id = fund.register()
    with fund.sessions.unit_of_work() as session:
        session.get(Borrower, borrower_id).credit_limit_minor = 10_000 * KES  # type: ignore[union-attr]
    with fund.sessions.reader() as session:
        q = quote(session, borrower_id, "personal", 10_000 * KES, fund.clock())
    assert (q.savings_minor, q.savings_long_minor, q.savings_short_minor) == (
        50_000,
        35_000,
        15_000,
    )
    assert q.cash_minor == 9_500 * KES
    assert q.interest_to_due_minor == 3_068
    assert q.total_due_minor == 1_003_068
    assert q.due_on == business_date(fund.clock()) + timedelta(days=14)


def test_borrow_500_repay_501_53_on_the_due_date_closes_the_loan_on_time(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = fund.borrow(borrower_id, 500 * KES)
    assert fund.provider.money_sent_to("254712345678") == 475 * KES
    loan = loan_of(fund, borrower_id)
    assert (loan.status, loan.principal_outstanding_minor) == (LoanStatus.ACTIVE, 500 * KES)
    assert borrower(fund, borrower_id).savings_long_minor == 17_50
    assert borrower(fund, borrower_id).savings_short_minor == 7_50
    days_pass(fund, 14)
    loan = loan_of(fund, borrower_id)
    assert loan.interest_outstanding_minor == 153
    repay(fund, loan.id, 501_53, "RKL51ZDR4F")
    loan = loan_of(fund, borrower_id)
    assert loan.status == LoanStatus.REPAID
    assert borrower(fund, borrower_id).loans_repaid_on_time == 1
    assert payout.status == PayoutStatus.PENDING  # the object as first returned
    fund.assert_books_agree()


def test_a_failed_disbursement_cancels_the_loan_and_frees_the_limit(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.provider.outcomes_by_msisdn["254712345678"] = INSUFFICIENT_FUNDS
    fund.borrow(borrower_id, 500 * KES)
    assert loan_of(fund, borrower_id).status == LoanStatus.CANCELLED
    with fund.sessions.reader() as session:
        assert session.scalar(select(Payout.status)) == PayoutStatus.FAILED
    del fund.provider.outcomes_by_msisdn["254712345678"]
    fund.borrow(borrower_id, 500 * KES, key="second-try")
    assert loan_of(fund, borrower_id).status == LoanStatus.ACTIVE
    fund.assert_books_agree()


def test_day_15_adds_2_60_of_penalty_interest_on_10000(fund: Fund) -> None:
    borrower_id = fund.register()
    with fund.sessions.unit_of_work() as session:
        session.get(Borrower, borrower_id).credit_limit_minor = 10_000 * KES  # type: ignore[union-attr]
    fund.borrow(borrower_id, 10_000 * KES)
    days_pass(fund, 14)
    assert loan_of(fund, borrower_id).interest_outstanding_minor == 3_068
    days_pass(fund, 1)
    loan = loan_of(fund, borrower_id)
    assert (loan.interest_outstanding_minor, loan.penalty_outstanding_minor) == (3_068, 260)
    fund.assert_books_agree()


def test_missed_runs_catch_up_to_the_same_books_and_rerunning_changes_nothing(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 1_000 * KES)
    fund.clock.advance(days=17)
    today = business_date(fund.clock())
    accrue_through(fund.sessions, fund.clock, today)
    once = loan_of(fund, borrower_id)
    accrue_through(fund.sessions, fund.clock, today)
    twice = loan_of(fund, borrower_id)
    assert (
        (once.interest_outstanding_minor, once.penalty_outstanding_minor)
        == (twice.interest_outstanding_minor, twice.penalty_outstanding_minor)
        == (306, 78)
    )
    fund.assert_books_agree()


def test_day_30_unpaid_defaults_freezes_resets_and_holds_savings(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 1_000 * KES)
    days_pass(fund, 29)
    assert loan_of(fund, borrower_id).status == LoanStatus.ACTIVE
    days_pass(fund, 1)
    assert loan_of(fund, borrower_id).status == LoanStatus.DEFAULTED
    b = borrower(fund, borrower_id)
    assert b.frozen_at is not None
    assert b.credit_limit_minor == 100 * KES
    assert b.savings_short_held_minor == b.savings_short_minor == 15_00
    with pytest.raises(errors.BorrowerFrozen):
        fund.request(borrower_id, 100 * KES, "while-frozen")
    loan = loan_of(fund, borrower_id)
    repay(fund, loan.id, loan.outstanding_minor, "RKL00000001")
    b = borrower(fund, borrower_id)
    assert (b.frozen_at, b.savings_short_held_minor, b.loans_repaid_on_time) == (None, 0, 0)
    fund.assert_books_agree()


def test_over_limit_below_minimum_and_not_whole_shillings_are_refused(fund: Fund) -> None:
    borrower_id = fund.register()
    limit = borrower(fund, borrower_id).credit_limit_minor
    with pytest.raises(errors.OverLimit):
        fund.request(borrower_id, limit + 100, "too-much")
    with pytest.raises(errors.BelowMinimum):
        fund.request(borrower_id, 99 * KES, "too-little")
    with pytest.raises(errors.NotWholeShillings):
        fund.request(borrower_id, 150_50, "cents")
    fund.assert_books_agree()


def test_a_top_up_within_the_limit_grows_the_same_loan(fund: Fund) -> None:
    borrower_id = fund.register()
    limit = borrower(fund, borrower_id).credit_limit_minor
    fund.borrow(borrower_id, 600 * KES)
    first = loan_of(fund, borrower_id)
    with pytest.raises(errors.OverLimit):
        fund.request(borrower_id, limit - 600 * KES + 100, "top-up-too-much")
    fund.borrow(borrower_id, limit - 600 * KES, key="top-up")
    topped = loan_of(fund, borrower_id)
    assert topped.id == first.id
    assert topped.principal_outstanding_minor == limit
    assert topped.due_on == first.due_on
    fund.assert_books_agree()


def test_a_top_up_waits_for_the_first_disbursement(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.request(borrower_id, 300 * KES, "first")
    with pytest.raises(errors.LoanInFlight):
        fund.request(borrower_id, 100 * KES, "second")


def test_replaying_a_request_key_returns_the_same_payout(fund: Fund) -> None:
    borrower_id = fund.register()
    first = fund.request(borrower_id, 300 * KES, "tap-twice")
    again = fund.request(borrower_id, 300 * KES, "tap-twice")
    assert again.id == first.id
    with pytest.raises(errors.RequestKeyReused):
        fund.request(borrower_id, 400 * KES, "tap-twice")


def test_an_overpayment_goes_to_the_credit_balance_and_pays_into_the_next_loan(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    loan = loan_of(fund, borrower_id)
    repay(fund, loan.id, 600 * KES, "RKL00000002")
    assert borrower(fund, borrower_id).credit_balance_minor == 100 * KES
    fund.borrow(borrower_id, 500 * KES, key="next")
    nxt = loan_of(fund, borrower_id)
    assert nxt.id != loan.id
    assert nxt.principal_outstanding_minor == 400 * KES
    assert borrower(fund, borrower_id).credit_balance_minor == 0
    fund.assert_books_agree()


def test_a_late_repayment_closes_the_loan_without_counting_as_on_time(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    days_pass(fund, 20)
    loan = loan_of(fund, borrower_id)
    assert loan.penalty_outstanding_minor > 0
    repay(fund, loan.id, loan.outstanding_minor, "RLATE00001")
    assert loan_of(fund, borrower_id).status == LoanStatus.REPAID
    assert borrower(fund, borrower_id).loans_repaid_on_time == 0
    fund.assert_books_agree()


def test_the_second_loan_repaid_on_time_raises_the_limit_by_40_percent(fund: Fund) -> None:
    borrower_id = fund.register()
    start = borrower(fund, borrower_id).credit_limit_minor
    for n in range(2):
        fund.borrow(borrower_id, 500 * KES, key=f"loan-{n}")
        days_pass(fund, 7)
        loan = loan_of(fund, borrower_id)
        repay(fund, loan.id, loan.outstanding_minor, f"RONTIME{n:03d}")
    assert borrower(fund, borrower_id).loans_repaid_on_time == 2
    assert borrower(fund, borrower_id).credit_limit_minor == start * 14 // 10
    fund.assert_books_agree()


def test_the_bridge_loan_is_for_the_top_band_only_and_runs_30_days(fund: Fund) -> None:
    borrower_id = fund.register()
    with pytest.raises(errors.BandNotEligible):
        fund.request(borrower_id, 1_000 * KES, "bridge-1", product="bridge")
    with fund.sessions.unit_of_work() as session:
        b = session.get(Borrower, borrower_id)
        assert b is not None
        b.score_band, b.credit_limit_minor = "A1", 150_000 * KES
    payout = fund.request(borrower_id, 150_000 * KES, "bridge-2", product="bridge")
    fund.settle(payout.id)
    loan = loan_of(fund, borrower_id)
    assert loan.product_terms["code"] == "bridge"
    assert loan.due_on == business_date(fund.clock()) + timedelta(days=30)
    days_pass(fund, 31)
    assert loan_of(fund, borrower_id).penalty_outstanding_minor > 0  # the roll at 9.5%
    assert loan_of(fund, borrower_id).status == LoanStatus.ACTIVE  # default only after it
    fund.assert_books_agree()
