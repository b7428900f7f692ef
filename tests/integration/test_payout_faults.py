"""Payouts when the provider misbehaves: lost answers, lost callbacks, crashes, rejections.
Whatever happens, a borrower is paid at most once and every payout ends resolved."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.lending.models import Loan, LoanStatus
from app.payments.models import Payout, PayoutStatus
from app.payments.payouts import (
    RESULT_GRACE,
    record_payout_result,
    submit_payout,
    sweep_payouts,
)
from integrations.payments.port import PayoutOrder, Submission, SubmitResult
from ledger import Ledger
from tests.support.lending import KES, Fund

PHONE = "254712345678"


def payout_status(fund: Fund, payout_id: int) -> str:
    with fund.sessions.reader() as session:
        return str(session.scalar(select(Payout.status).where(Payout.id == payout_id)))


def loan_status(fund: Fund) -> str:
    with fund.sessions.reader() as session:
        return str(session.scalar(select(Loan.status)))


def test_a_lost_answer_is_resolved_by_querying_never_by_paying_again(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = fund.request(borrower_id, 500 * KES, "k1")
    fund.provider.lose_answer = True
    submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    assert payout_status(fund, payout.id) == PayoutStatus.UNKNOWN
    fund.provider.deliver(drop=True)  # and the callback is lost too
    fund.clock.advance(seconds=RESULT_GRACE.total_seconds() + 1)
    sweep_payouts(fund.sessions, fund.ports, fund.clock)
    assert payout_status(fund, payout.id) == PayoutStatus.SUCCEEDED
    assert loan_status(fund) == LoanStatus.ACTIVE
    assert fund.provider.submissions == 1
    assert fund.provider.money_sent_to(PHONE) == 475 * KES
    fund.assert_books_agree()


def test_a_crash_before_sending_is_resent_under_the_same_id_and_paid_once(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = fund.request(borrower_id, 500 * KES, "k1")
    # The provider got the request but the worker died before recording anything: simulate
    # it by submitting straight to the provider, behind the fund's back.
    fund.provider.submit_payout(
        PayoutOrder(payout.originator_id, PHONE, payout.amount_minor, "lost worker")
    )
    fund.provider.deliver(drop=True)
    sweep_payouts(fund.sessions, fund.ports, fund.clock)  # finds it pending: re-submits
    fund.clock.advance(seconds=RESULT_GRACE.total_seconds() + 1)
    sweep_payouts(fund.sessions, fund.ports, fund.clock)  # queries: succeeded
    assert payout_status(fund, payout.id) == PayoutStatus.SUCCEEDED
    assert fund.provider.money_sent_to(PHONE) == 475 * KES
    fund.assert_books_agree()


def test_a_result_delivered_twice_is_applied_once(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = fund.request(borrower_id, 500 * KES, "k1")
    submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    results = fund.provider.deliver()
    for result in results * 3:
        with fund.sessions.unit_of_work() as session:
            record_payout_result(session, Ledger(session, fund.clock), result, fund.clock())
    with fund.sessions.reader() as session:
        loan = session.scalar(select(Loan))
        assert loan is not None
        assert loan.principal_outstanding_minor == 500 * KES
    fund.assert_books_agree()


def test_a_rejected_submission_fails_the_payout_and_cancels_the_loan(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = fund.request(borrower_id, 500 * KES, "k1")
    fund.provider.reject_submissions = True
    submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    assert payout_status(fund, payout.id) == PayoutStatus.FAILED
    assert loan_status(fund) == LoanStatus.CANCELLED
    assert fund.provider.money_sent_to(PHONE) == 0
    fund.assert_books_agree()


def test_a_provider_with_no_result_is_asked_again_later_with_backoff(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = fund.request(borrower_id, 500 * KES, "k1")
    fund.provider.submit_payout = (  # type: ignore[method-assign]
        lambda order: SubmitResult(Submission.UNKNOWN)
    )  # the request never arrived
    submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    fund.clock.advance(minutes=3)
    sweep_payouts(fund.sessions, fund.ports, fund.clock)
    with fund.sessions.reader() as session:
        stored = session.get(Payout, payout.id)
        assert stored is not None
        assert stored.status == PayoutStatus.UNKNOWN
        assert stored.next_check_at is not None
        assert stored.next_check_at > fund.clock() + timedelta(minutes=1)


def test_a_top_up_still_waiting_when_the_loan_defaults_is_cancelled_not_sent(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 1_000 * KES)
    fund.days_pass(29)
    top_up = fund.request(borrower_id, 500 * KES, "late-top-up")  # not sent yet
    fund.days_pass(1)  # day 30: the loan defaults while the top-up waits
    assert fund.loan_of(borrower_id).status == LoanStatus.DEFAULTED
    sent_before = fund.provider.money_sent_to(PHONE)
    submit_payout(fund.sessions, fund.ports, fund.clock, top_up.id)
    assert payout_status(fund, top_up.id) == PayoutStatus.FAILED
    assert fund.provider.money_sent_to(PHONE) == sent_before
    loan = fund.loan_of(borrower_id)
    assert (loan.principal_outstanding_minor, loan.principal_pending_minor) == (1_000 * KES, 0)
    fund.assert_books_agree()


def test_a_payout_that_may_have_left_is_never_cancelled_only_resent(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 1_000 * KES)
    fund.days_pass(29)
    top_up = fund.request(borrower_id, 500 * KES, "late-top-up")
    fund.provider.lose_answer = True
    submit_payout(fund.sessions, fund.ports, fund.clock, top_up.id)  # reached the provider
    fund.provider.lose_answer = False
    fund.days_pass(1)
    fund.clock.advance(seconds=RESULT_GRACE.total_seconds() + 1)
    sweep_payouts(fund.sessions, fund.ports, fund.clock)  # asks; it was paid
    assert payout_status(fund, top_up.id) == PayoutStatus.SUCCEEDED
    assert fund.loan_of(borrower_id).principal_outstanding_minor == 1_500 * KES
    fund.assert_books_agree()
