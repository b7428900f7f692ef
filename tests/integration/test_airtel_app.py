"""Airtel Money on the app side: an Airtel borrower is paid and collected through Airtel, on
the Airtel float (1011); Airtel's callbacks are stored in the one inbox and move money only
on the word of an enquiry; a repayment arriving on either provider applies once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounting.chart import Acct
from app.borrowers.errors import NetworkNotServed
from app.lending.models import LoanStatus, Repayment
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.models import MpesaCallback, StkRequest
from app.mpesa.processing import process_pending
from app.mpesa.stk import request_stk_repayment, send_stk
from app.payments.models import Payout, PayoutStatus
from app.payments.payouts import RESULT_GRACE, submit_payout, sweep_payouts
from integrations.airtel.callbacks import callback_hash
from integrations.payments.memory import Outcome
from ledger import EntryRequest, Ledger, PostingLine
from tests.support.lending import KES, Fund

AIRTEL_ID, AIRTEL_PHONE, AIRTEL_MSISDN = "30000010", "0733123456", "254733123456"
AIRTEL_CAPITAL_MINOR = 1_000_000 * KES


def airtel_borrower(fund: Fund) -> int:
    """An Airtel borrower, and capital on the Airtel float to pay them from."""
    with fund.sessions.unit_of_work() as session:
        Ledger(session, fund.clock).post(
            EntryRequest(
                "capital-airtel",
                [
                    PostingLine.debit(fund.accounts[Acct.AIRTEL_FLOAT], AIRTEL_CAPITAL_MINOR),
                    PostingLine.credit(fund.accounts[Acct.CAPITAL], AIRTEL_CAPITAL_MINOR),
                ],
                "capital into the Airtel Money float",
            )
        )
    return fund.register(AIRTEL_ID, AIRTEL_PHONE)


def float_minor(fund: Fund, code: Acct) -> int:
    with fund.sessions.reader() as session:
        return Ledger(session, fund.clock).balance(fund.accounts[code]).posted_minor


def callback(transaction_id: str, status: str, money_id: str | None = "MP1") -> dict[str, Any]:
    transaction: dict[str, Any] = {"id": transaction_id, "message": "m", "status_code": status}
    if money_id:
        transaction["airtel_money_id"] = money_id
    return {"transaction": transaction}


def deliver(fund: Fund, kind: str, body: object, times: int = 1, secret: str | None = None) -> None:
    raw = json.dumps(body).encode()
    for _ in range(times):
        with fund.sessions.unit_of_work() as session:
            delivery = Delivery(kind, raw, "127.0.0.1", hash_secret=secret)
            store_callback(session, delivery, fund.clock(), fund.ports.blind_index)
    process(fund)


def process(fund: Fund) -> None:
    process_pending(fund.sessions, fund.clock, fund.ports.blind_index, airtel=fund.airtel)


def payout_of(fund: Fund, payout_id: int) -> Payout:
    with fund.sessions.reader() as session:
        payout = session.get(Payout, payout_id)
        assert payout is not None
        return payout


def sent_airtel_payout(fund: Fund) -> Payout:
    borrower_id = airtel_borrower(fund)
    payout = fund.request(borrower_id, 500 * KES, "airtel-loan-1")
    submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    fund.airtel.deliver(drop=True)  # the in-memory provider's own "callback" is not used
    return payout


def test_an_airtel_borrower_is_paid_through_airtel_from_the_airtel_float(fund: Fund) -> None:
    payout = sent_airtel_payout(fund)
    assert fund.borrower(payout.borrower_id).network == "airtel"
    assert payout.network == "airtel"
    assert (fund.airtel.submissions, fund.provider.submissions) == (1, 0)
    receipt = fund.airtel.paid[payout.originator_id].receipt
    mpesa_before = float_minor(fund, Acct.FLOAT)
    deliver(fund, "airtel/disbursement", callback(payout.originator_id, "TS", receipt))
    paid = payout_of(fund, payout.id)
    assert (paid.status, paid.provider_receipt) == (PayoutStatus.SUCCEEDED, receipt)
    assert fund.loan_of(payout.borrower_id).status == LoanStatus.ACTIVE
    assert fund.airtel.money_sent_to(AIRTEL_MSISDN) == 475 * KES
    assert float_minor(fund, Acct.AIRTEL_FLOAT) == AIRTEL_CAPITAL_MINOR - 475 * KES
    assert float_minor(fund, Acct.FLOAT) == mpesa_before  # M-Pesa's float is not touched
    fund.assert_books_agree()


def test_an_mpesa_borrower_is_still_paid_through_mpesa(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = fund.borrow(borrower_id, 500 * KES)
    assert payout_of(fund, payout.id).network == "safaricom"
    assert (fund.airtel.submissions, fund.provider.submissions) == (0, 1)
    assert float_minor(fund, Acct.AIRTEL_FLOAT) == 0


def test_a_failed_airtel_payout_is_voided_and_the_loan_cancelled(fund: Fund) -> None:
    fund.airtel.outcomes_by_msisdn[AIRTEL_MSISDN] = Outcome(False, "TF", "Insufficient funds")
    payout = sent_airtel_payout(fund)
    deliver(fund, "airtel/disbursement", callback(payout.originator_id, "TF", None))
    failed = payout_of(fund, payout.id)
    assert (failed.status, failed.failure_code) == (PayoutStatus.FAILED, "TF")
    assert fund.loan_of(payout.borrower_id).status == LoanStatus.CANCELLED
    assert float_minor(fund, Acct.AIRTEL_FLOAT) == AIRTEL_CAPITAL_MINOR
    fund.assert_books_agree()


def test_a_callback_saying_paid_moves_nothing_when_the_enquiry_says_failed(fund: Fund) -> None:
    fund.airtel.outcomes_by_msisdn[AIRTEL_MSISDN] = Outcome(False, "TF", "Refused")
    payout = sent_airtel_payout(fund)
    deliver(fund, "airtel/disbursement", callback(payout.originator_id, "TS", "FORGED1"))
    assert payout_of(fund, payout.id).status == PayoutStatus.FAILED  # the enquiry decided
    assert fund.loan_of(payout.borrower_id).status == LoanStatus.CANCELLED
    fund.assert_books_agree()


def test_a_callback_airtel_cannot_confirm_yet_moves_nothing_and_asks_again_soon(
    fund: Fund,
) -> None:
    payout = sent_airtel_payout(fund)
    fund.airtel.paid.pop(payout.originator_id)  # Airtel has no final answer yet
    deliver(fund, "airtel/disbursement", callback(payout.originator_id, "TS"))
    waiting = payout_of(fund, payout.id)
    assert waiting.status == PayoutStatus.SUBMITTED
    assert waiting.next_check_at == fund.clock()  # the sweep asks at its next run
    with fund.sessions.reader() as session:
        assert session.scalar(select(MpesaCallback.status)) == "processed"


def test_a_lost_airtel_result_is_resolved_by_enquiry_and_paid_once(fund: Fund) -> None:
    borrower_id = airtel_borrower(fund)
    payout = fund.request(borrower_id, 500 * KES, "airtel-loan-1")
    fund.airtel.lose_answer = True
    submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    assert payout_of(fund, payout.id).status == PayoutStatus.UNKNOWN
    fund.airtel.deliver(drop=True)  # and the callback is lost too
    fund.clock.advance(seconds=RESULT_GRACE.total_seconds() + 1)
    sweep_payouts(fund.sessions, fund.ports, fund.clock)
    assert payout_of(fund, payout.id).status == PayoutStatus.SUCCEEDED
    assert (fund.airtel.submissions, fund.provider.submissions) == (1, 0)
    assert fund.airtel.money_sent_to(AIRTEL_MSISDN) == 475 * KES
    fund.assert_books_agree()


def test_ten_duplicate_airtel_callbacks_are_stored_once_and_applied_once(fund: Fund) -> None:
    payout = sent_airtel_payout(fund)
    receipt = fund.airtel.paid[payout.originator_id].receipt
    deliver(fund, "airtel/disbursement", callback(payout.originator_id, "TS", receipt), times=10)
    with fund.sessions.reader() as session:
        rows = session.execute(select(MpesaCallback.kind, MpesaCallback.deliveries)).all()
    assert [tuple(row) for row in rows] == [("airtel/disbursement", 10)]
    assert fund.loan_of(payout.borrower_id).principal_outstanding_minor == 500 * KES
    assert float_minor(fund, Acct.AIRTEL_FLOAT) == AIRTEL_CAPITAL_MINOR - 475 * KES
    fund.assert_books_agree()


def airtel_push(fund: Fund, borrower_id: int, amount_minor: int) -> StkRequest:
    with fund.sessions.unit_of_work() as session:
        request = request_stk_repayment(session, borrower_id, amount_minor, "push-1", fund.clock())
    send_stk(fund.sessions, fund.ports, fund.clock, request.id)
    with fund.sessions.reader() as session:
        sent = session.get(StkRequest, request.id)
        assert sent is not None
        return sent


def test_an_airtel_collection_lands_on_the_airtel_float_once(fund: Fund) -> None:
    payout = sent_airtel_payout(fund)
    fund.airtel.deliver()
    deliver(fund, "airtel/disbursement", callback(payout.originator_id, "TS", "MPX"))
    float_before = float_minor(fund, Acct.AIRTEL_FLOAT)
    push = airtel_push(fund, payout.borrower_id, 200 * KES)
    assert (push.network, push.status) == ("airtel", "sent")
    assert push.checkout_id in fund.airtel.collections
    result = fund.airtel.query_collection(str(push.checkout_id))
    assert result is not None
    body = callback(str(push.checkout_id), "TS", result.receipt)
    deliver(fund, "airtel/collection", body, times=3)
    with fund.sessions.reader() as session:
        keys = session.scalars(select(Repayment.idempotency_key)).all()
    assert keys == [f"airtel:{result.receipt}"]
    assert float_minor(fund, Acct.AIRTEL_FLOAT) == float_before + 200 * KES
    assert fund.loan_of(payout.borrower_id).principal_outstanding_minor == 300 * KES
    fund.assert_books_agree()


def test_a_repayment_arriving_on_the_other_provider_applies_once(fund: Fund) -> None:
    """An Airtel borrower pays by M-Pesa paybill to their loan number: one repayment, on the
    M-Pesa float, however often M-Pesa reports it."""
    payout = sent_airtel_payout(fund)
    deliver(fund, "airtel/disbursement", callback(payout.originator_id, "TS", "MPY"))
    account = fund.loan_of(payout.borrower_id).account_number
    mpesa_before = float_minor(fund, Acct.FLOAT)
    airtel_before = float_minor(fund, Acct.AIRTEL_FLOAT)
    confirmation = {
        "TransactionType": "Pay Bill",
        "TransID": "TC2BAIR001",
        "TransTime": "20260302120000",
        "TransAmount": "150.00",
        "BusinessShortCode": "600000",
        "BillRefNumber": account,
        "MSISDN": "2547 ***** 678",
        "FirstName": "ATIENO",
    }
    deliver(fund, "c2b/confirmation", confirmation, times=3)
    with fund.sessions.reader() as session:
        count = session.scalar(select(func.count()).select_from(Repayment))
    assert count == 1
    assert float_minor(fund, Acct.FLOAT) == mpesa_before + 150 * KES
    assert float_minor(fund, Acct.AIRTEL_FLOAT) == airtel_before
    assert fund.loan_of(payout.borrower_id).principal_outstanding_minor == 350 * KES
    fund.assert_books_agree()


def test_an_airtel_callback_with_a_wrong_hash_is_stored_as_malformed_and_moves_nothing(
    fund: Fund,
) -> None:
    payout = sent_airtel_payout(fund)
    good = callback(payout.originator_id, "TS")
    signed = {**good, "hash": callback_hash(good["transaction"], "s3cret", ascii_only=True)}
    forged = {**good, "hash": callback_hash(good["transaction"], "guess", ascii_only=True)}
    deliver(fund, "airtel/disbursement", forged, secret="s3cret")
    with fund.sessions.reader() as session:
        assert session.scalar(select(MpesaCallback.status)) == "malformed"
    assert payout_of(fund, payout.id).status == PayoutStatus.SUBMITTED
    deliver(fund, "airtel/disbursement", signed, secret="s3cret")
    assert payout_of(fund, payout.id).status == PayoutStatus.SUCCEEDED


def test_an_airtel_callback_naming_an_mpesa_payout_fails_and_moves_nothing(fund: Fund) -> None:
    borrower_id = fund.register()
    payout = fund.request(borrower_id, 500 * KES, "mpesa-loan")
    submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    fund.provider.deliver(drop=True)
    deliver(fund, "airtel/disbursement", callback(payout.originator_id, "TS"))
    with fund.sessions.reader() as session:
        status, error = session.execute(select(MpesaCallback.status, MpesaCallback.error)).one()
    assert status == "failed"
    assert "not sent through Airtel" in str(error)
    assert payout_of(fund, payout.id).status == PayoutStatus.SUBMITTED


def test_a_number_on_no_network_of_ours_cannot_opt_in(fund: Fund) -> None:
    with pytest.raises(NetworkNotServed):
        fund.register("30000020", "0770123456")  # Telkom
