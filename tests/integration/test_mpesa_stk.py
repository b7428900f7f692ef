"""Repaying by STK push: one prompt, one outcome, one repayment — whatever arrives how often."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from app.lending import errors
from app.lending.models import Repayment
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.models import StkRequest
from app.mpesa.processing import process_pending
from app.mpesa.stk import QUERY_AFTER, request_stk_repayment, send_stk, sweep_stk
from integrations.payments.memory import CANCELLED
from tests.support.lending import KES, Fund


def prompt(fund: Fund, borrower_id: int, amount_minor: int, key: str = "stk-1") -> StkRequest:
    with fund.sessions.unit_of_work() as session:
        request_id = request_stk_repayment(session, borrower_id, amount_minor, key, fund.clock()).id
    send_stk(fund.sessions, fund.ports, fund.clock, request_id)
    with fund.sessions.reader() as session:
        request = session.get(StkRequest, request_id)
        assert request is not None
        return request


def stk_callback(
    checkout_id: str, code: int, amount: float = 0, receipt: str = ""
) -> dict[str, Any]:
    callback: dict[str, Any] = {
        "MerchantRequestID": "29115-34620561-1",
        "CheckoutRequestID": checkout_id,
        "ResultCode": code,
        "ResultDesc": "done",
    }
    if code == 0:
        callback["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": amount},
                {"Name": "MpesaReceiptNumber", "Value": receipt},
                {"Name": "Balance"},
                {"Name": "TransactionDate", "Value": 20260302101500},
                {"Name": "PhoneNumber", "Value": 254712345678},
            ]
        }
    return {"Body": {"stkCallback": callback}}


def deliver(fund: Fund, kind: str, body: dict[str, Any], times: int = 1) -> None:
    for _ in range(times):
        with fund.sessions.unit_of_work() as session:
            store_callback(
                session,
                Delivery(kind, json.dumps(body).encode(), None),
                fund.clock(),
                fund.ports.blind_index,
            )
    process_pending(fund.sessions, fund.clock, fund.ports.blind_index)


def repayments(fund: Fund) -> int:
    with fund.sessions.reader() as session:
        return int(session.scalar(select(func.count()).select_from(Repayment)) or 0)


def status_of(fund: Fund, request_id: int) -> str:
    with fund.sessions.reader() as session:
        return str(session.scalar(select(StkRequest.status).where(StkRequest.id == request_id)))


def test_a_paid_prompt_reported_twice_repays_once(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    request = prompt(fund, borrower_id, 300 * KES)
    assert request.status == "sent"
    assert request.checkout_id is not None
    deliver(fund, "stk", stk_callback(request.checkout_id, 0, 300.0, "TSTK000001"), times=2)
    assert status_of(fund, request.id) == "succeeded"
    assert repayments(fund) == 1
    assert fund.loan_of(borrower_id).principal_outstanding_minor == 200 * KES
    fund.assert_books_agree()


def test_a_cancelled_prompt_moves_nothing(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    request = prompt(fund, borrower_id, 300 * KES)
    assert request.checkout_id is not None
    deliver(fund, "stk", stk_callback(request.checkout_id, 1032))
    assert status_of(fund, request.id) == "failed"
    assert repayments(fund) == 0
    fund.assert_books_agree()


def test_a_lost_callback_is_resolved_by_an_stk_query(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    request = prompt(fund, borrower_id, 500 * KES)
    fund.clock.advance(seconds=QUERY_AFTER.total_seconds() + 1)
    sweep_stk(fund.sessions, fund.ports, fund.clock)
    assert status_of(fund, request.id) == "succeeded"
    assert fund.loan_of(borrower_id).principal_outstanding_minor == 0
    fund.assert_books_agree()


def test_a_query_that_says_cancelled_fails_the_prompt(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    fund.provider.outcomes_by_msisdn["254712345678"] = CANCELLED
    request = prompt(fund, borrower_id, 500 * KES)
    fund.clock.advance(seconds=QUERY_AFTER.total_seconds() + 1)
    sweep_stk(fund.sessions, fund.ports, fund.clock)
    assert status_of(fund, request.id) == "failed"
    assert repayments(fund) == 0


def test_the_same_payment_reported_by_stk_and_by_c2b_is_applied_once(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    request = prompt(fund, borrower_id, 200 * KES)
    assert request.checkout_id is not None
    deliver(fund, "stk", stk_callback(request.checkout_id, 0, 200, "TSTK000002"))
    account = fund.loan_of(borrower_id).account_number
    deliver(
        fund,
        "c2b/confirmation",
        {
            "TransactionType": "Pay Bill",
            "TransID": "TSTK000002",
            "TransTime": "20260302101500",
            "TransAmount": "200.00",
            "BusinessShortCode": "600000",
            "BillRefNumber": account,
            "MSISDN": "",
            "FirstName": "",
            "MiddleName": "",
            "LastName": "",
        },
    )
    assert repayments(fund) == 1
    assert fund.loan_of(borrower_id).principal_outstanding_minor == 300 * KES
    fund.assert_books_agree()


def test_a_prompt_needs_an_open_loan_and_whole_shillings(fund: Fund) -> None:
    borrower_id = fund.register()
    with pytest.raises(errors.NothingOwed), fund.sessions.unit_of_work() as session:
        request_stk_repayment(session, borrower_id, 100 * KES, "k1", fund.clock())
    fund.borrow(borrower_id, 500 * KES)
    with pytest.raises(errors.NotWholeShillings), fund.sessions.unit_of_work() as session:
        request_stk_repayment(session, borrower_id, 100_50, "k2", fund.clock())
    with fund.sessions.unit_of_work() as session:
        first = request_stk_repayment(session, borrower_id, 100 * KES, "k3", fund.clock()).id
        again = request_stk_repayment(session, borrower_id, 100 * KES, "k3", fund.clock()).id
    assert first == again


def test_a_request_whose_task_was_lost_is_sent_once_by_the_sweep(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    with fund.sessions.unit_of_work() as session:
        request_id = request_stk_repayment(
            session, borrower_id, 100 * KES, "k-lost", fund.clock()
        ).id
    sweep_stk(fund.sessions, fund.ports, fund.clock)  # too early: the task may still come
    assert fund.provider.collections == {}
    fund.clock.advance(minutes=1)
    sweep_stk(fund.sessions, fund.ports, fund.clock)
    assert send_stk(fund.sessions, fund.ports, fund.clock, request_id) == "not_pending"
    assert len(fund.provider.collections) == 1


def test_a_sender_that_died_after_the_recovery_point_never_pushes_again(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    with fund.sessions.unit_of_work() as session:
        request = request_stk_repayment(session, borrower_id, 100 * KES, "k-died", fund.clock())
        request.attempts = 1  # the sender committed its recovery point, then died
        request_id = request.id
    fund.clock.advance(minutes=1)
    sweep_stk(fund.sessions, fund.ports, fund.clock)
    assert send_stk(fund.sessions, fund.ports, fund.clock, request_id) == "not_pending"
    assert fund.provider.collections == {}
    fund.clock.advance(minutes=10)
    sweep_stk(fund.sessions, fund.ports, fund.clock)
    with fund.sessions.reader() as session:
        assert session.get(StkRequest, request_id).status == "unknown"  # type: ignore[union-attr]


def test_a_late_stk_callback_for_a_payment_already_in_suspense_is_not_applied_again(
    fund: Fund,
) -> None:
    """Reconciliation may have booked an STK payment to suspense before its callback came:
    the callback then settles the prompt but must not count the money a second time."""
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    request = prompt(fund, borrower_id, 200 * KES)
    assert request.checkout_id is not None
    deliver(
        fund,
        "c2b/confirmation",
        {
            "TransactionType": "Pay Bill",
            "TransID": "TSTK000009",
            "TransTime": "20260302101500",
            "TransAmount": "200.00",
            "BusinessShortCode": "600000",
            "BillRefNumber": "NOT A LOAN",
            "MSISDN": "",
            "FirstName": "",
            "MiddleName": "",
            "LastName": "",
        },
    )
    deliver(fund, "stk", stk_callback(request.checkout_id, 0, 200, "TSTK000009"))
    assert repayments(fund) == 0
    with fund.sessions.reader() as session:
        assert session.get(StkRequest, request.id).status == "succeeded"  # type: ignore[union-attr]
    fund.assert_books_agree()
