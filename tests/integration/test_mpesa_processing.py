"""Stored M-Pesa callbacks acted on once: payouts resolved, paybill payments applied or held
in suspense, bad ones recorded as failed with nothing moved."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from app.lending.models import LoanStatus, Repayment
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.models import MpesaCallback, UnmatchedReceipt
from app.mpesa.processing import process_pending
from app.payments.models import Payout, PayoutStatus
from app.payments.payouts import submit_payout
from ledger import Ledger
from tests.support.lending import KES, Fund


def deliver(fund: Fund, kind: str, body: dict[str, Any] | str, times: int = 1) -> None:
    raw = (body if isinstance(body, str) else json.dumps(body)).encode()
    for _ in range(times):
        with fund.sessions.unit_of_work() as session:
            store_callback(
                session, Delivery(kind, raw, "127.0.0.1"), fund.clock(), fund.ports.blind_index
            )
    process_pending(fund.sessions, fund.clock, fund.ports.blind_index)


def b2c_result(originator_id: str, code: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ResultType": 0,
        "ResultCode": code,
        "ResultDesc": "done",
        "OriginatorConversationID": originator_id,
        "ConversationID": "AG_20240706_2010364430d9bbdaf872",
        "TransactionID": "SG632NMUAB",
    }
    if code == 0:
        result["ResultParameters"] = {
            "ResultParameter": [
                {"Key": "TransactionAmount", "Value": 475},
                {"Key": "TransactionReceipt", "Value": "SG632NMUAB"},
                {"Key": "TransactionCompletedDateTime", "Value": "02.03.2026 10:00:00"},
            ]
        }
    return {"Result": result}


def c2b(account: str, amount: str, receipt: str) -> dict[str, str]:
    return {
        "TransactionType": "Pay Bill",
        "TransID": receipt,
        "TransTime": "20260302120000",
        "TransAmount": amount,
        "BusinessShortCode": "600000",
        "BillRefNumber": account,
        "InvoiceNumber": "",
        "OrgAccountBalance": "1000.00",
        "ThirdPartyTransID": "",
        "MSISDN": "2547 ***** 678",
        "FirstName": "ATIENO",
        "MiddleName": "",
        "LastName": "",
    }


def sent_payout(fund: Fund, borrower_id: int) -> Payout:
    """A loan requested and sent to the provider, whose result has not come back."""
    payout = fund.request(borrower_id, 500 * KES, "loan-1")
    submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    fund.provider.deliver(drop=True)  # the in-memory provider's own callback is not used here
    return payout


def payout_status(fund: Fund, payout_id: int) -> str:
    with fund.sessions.reader() as session:
        return str(session.scalar(select(Payout.status).where(Payout.id == payout_id)))


def test_a_b2c_result_delivered_three_times_disburses_the_loan_once(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = sent_payout(fund, borrower_id)
    deliver(fund, "b2c/result", b2c_result(payout.originator_id), times=3)
    assert payout_status(fund, payout.id) == PayoutStatus.SUCCEEDED
    loan = fund.loan_of(borrower_id)
    assert (loan.status, loan.principal_outstanding_minor) == (LoanStatus.ACTIVE, 500 * KES)
    fund.assert_books_agree()


def test_a_failed_b2c_result_cancels_the_loan(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = sent_payout(fund, borrower_id)
    deliver(fund, "b2c/result", b2c_result(payout.originator_id, code=2001))
    assert payout_status(fund, payout.id) == PayoutStatus.FAILED
    assert fund.loan_of(borrower_id).status == LoanStatus.CANCELLED
    fund.assert_books_agree()


def test_a_completed_status_query_resolves_a_payout_whose_result_was_lost(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = sent_payout(fund, borrower_id)
    status = {
        "Result": {
            "ResultType": 0,
            "ResultCode": 0,
            "ResultDesc": "ok",
            "OriginatorConversationID": "q-1",
            "ConversationID": "AG_20260302_000000000000000000aa",
            "TransactionID": "XXX0000000",
            "ResultParameters": {
                "ResultParameter": [
                    {"Key": "OriginatorConversationID", "Value": payout.originator_id},
                    {"Key": "TransactionStatus", "Value": "Completed"},
                    {"Key": "ReceiptNo", "Value": "SG632NMUAB"},
                    {"Key": "Amount", "Value": "475"},
                    {"Key": "FinalisedTime", "Value": "20260302100000"},
                ]
            },
        }
    }
    deliver(fund, "status/result", status)
    assert payout_status(fund, payout.id) == PayoutStatus.SUCCEEDED
    fund.assert_books_agree()


def test_a_paybill_payment_to_the_loan_number_or_the_phone_repays_once(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    account = fund.loan_of(borrower_id).account_number
    deliver(fund, "c2b/confirmation", c2b(account, "200.00", "TC2B000001"), times=2)
    deliver(fund, "c2b/confirmation", c2b("0712345678", "100.00", "TC2B000002"))
    assert fund.loan_of(borrower_id).principal_outstanding_minor == 200 * KES
    with fund.sessions.reader() as session:
        receipts = session.scalars(select(Repayment.provider_receipt)).all()
    assert sorted(receipts) == ["TC2B000001", "TC2B000002"]
    fund.assert_books_agree()


def test_a_payment_to_an_unknown_account_is_held_in_suspense(fund: Fund) -> None:
    deliver(fund, "c2b/confirmation", c2b("SOMEONE ELSE", "1,250.00", "TC2B000003"), times=2)
    with fund.sessions.reader() as session:
        unmatched = session.scalars(select(UnmatchedReceipt)).all()
        suspense = Ledger(session, fund.clock).account_by_code("2900").balance.posted_minor
    assert [(u.receipt, u.amount_minor, u.account_reference, u.status) for u in unmatched] == [
        ("TC2B000003", 125_000, "SOMEONEELSE", "open")
    ]
    assert suspense == 125_000
    fund.assert_books_agree()


def test_a_confirmation_that_cannot_be_read_is_failed_and_moves_nothing(fund: Fund) -> None:
    deliver(fund, "c2b/confirmation", c2b("MK00000019", "not money", "TC2B000004"))
    with fund.sessions.reader() as session:
        row = session.scalar(select(MpesaCallback))
        assert row is not None
        assert (row.status, row.error is not None) == ("failed", True)
        assert "TransAmount" in (row.error or "")
    fund.assert_books_agree()
