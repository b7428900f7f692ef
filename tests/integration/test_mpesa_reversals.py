"""A mistaken paybill payment sent back to its payer: requested by one staff member,
approved by another, held out of suspense while it travels, posted or voided once."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.approvals.models import ApprovalRequest
from app.mpesa.inbox import Delivery, store_callback
from app.mpesa.models import CollectionReversal, UnmatchedReceipt
from app.mpesa.processing import process_pending
from app.mpesa.reversals import (
    ReceiptNotFound,
    ReceiptNotOpen,
    ReversalNotPending,
    SameApprover,
    approve_reversal,
    reject_reversal,
    request_reversal,
    sweep_reversals,
)
from ledger import Ledger
from tests.integration.test_mpesa_processing import c2b, deliver
from tests.support.lending import Fund
from tests.support.staff import staff

RECEIPT = "TC2B0000R1"
AMOUNT = 1_250_00


@pytest.fixture
def in_suspense(fund: Fund) -> Fund:
    """KES 1,250 paid to an account that does not exist, now in suspense."""
    deliver(fund, "c2b/confirmation", c2b("NOBODY", "1250.00", RECEIPT))
    fund.provider.reversible[RECEIPT] = AMOUNT
    return fund


def requested(fund: Fund, by: str = "amina") -> int:
    with fund.sessions.unit_of_work() as session:
        return request_reversal(
            session, RECEIPT, "Paid the wrong paybill", staff(by), fund.clock()
        ).id


def approved(fund: Fund) -> int:
    reversal_id = requested(fund)
    with fund.sessions.unit_of_work() as session:
        approve_reversal(
            session, Ledger(session, fund.clock), reversal_id, staff("baraka"), fund.clock()
        )
    return reversal_id


def state(fund: Fund, reversal_id: int) -> tuple[str, str]:
    with fund.sessions.reader() as session:
        reversal = session.get(CollectionReversal, reversal_id)
        receipt = session.scalar(
            select(UnmatchedReceipt.status).where(UnmatchedReceipt.receipt == RECEIPT)
        )
        assert reversal is not None
        assert receipt is not None
        return reversal.status, receipt


def balances(fund: Fund) -> tuple[int, int]:
    """Suspense posted and available."""
    with fund.sessions.reader() as session:
        balance = Ledger(session, fund.clock).account_by_code("2900").balance
        return balance.posted_minor, balance.available_minor


def sweep(fund: Fund) -> None:
    sweep_reversals(fund.sessions, fund.ports, fund.clock)


def test_an_approved_reversal_is_sent_and_leaves_suspense_once(in_suspense: Fund) -> None:
    fund = in_suspense
    reversal_id = approved(fund)
    assert balances(fund) == (AMOUNT, 0)  # held: cannot be assigned to a loan meanwhile
    fund.assert_books_agree()
    sweep(fund)
    assert state(fund, reversal_id) == ("submitted", "open")
    fund.clock.advance(minutes=3)
    sweep(fund)
    sweep(fund)
    assert state(fund, reversal_id) == ("succeeded", "resolved")
    assert balances(fund) == (0, 0)
    assert fund.provider.submissions == 1
    fund.assert_books_agree()


def test_the_requester_cannot_approve_their_own_reversal(in_suspense: Fund) -> None:
    fund = in_suspense
    reversal_id = requested(fund, by="amina")
    with fund.sessions.unit_of_work() as session, pytest.raises(SameApprover):
        approve_reversal(
            session, Ledger(session, fund.clock), reversal_id, staff("amina"), fund.clock()
        )
    with fund.sessions.unit_of_work() as session, pytest.raises(IntegrityError):
        session.execute(  # and the database refuses it too
            update(CollectionReversal).values(approved_by="amina", status="approved")
        )
    assert state(fund, reversal_id) == ("requested", "open")
    assert balances(fund) == (AMOUNT, AMOUNT)


def test_one_active_reversal_per_receipt_and_only_for_money_in_suspense(in_suspense: Fund) -> None:
    fund = in_suspense
    first = requested(fund)
    with pytest.raises(ReversalNotPending):
        requested(fund, by="baraka")
    with fund.sessions.unit_of_work() as session:
        reject_reversal(session, first, staff("baraka"), fund.clock())
        with pytest.raises(ReversalNotPending):
            approve_reversal(
                session, Ledger(session, fund.clock), first, staff("chebet"), fund.clock()
            )
    requested(fund, by="baraka")  # a rejected request does not block a new one
    with fund.sessions.unit_of_work() as session, pytest.raises(ReceiptNotFound):
        request_reversal(
            session, "TNOSUCH001", "Paid the wrong paybill", staff("amina"), fund.clock()
        )


def test_a_refused_reversal_puts_the_money_back_in_suspense(in_suspense: Fund) -> None:
    fund = in_suspense
    fund.provider.reversible.clear()  # the provider does not know the receipt: R000002
    reversal_id = approved(fund)
    sweep(fund)
    fund.clock.advance(minutes=3)
    sweep(fund)
    assert state(fund, reversal_id) == ("failed", "open")
    assert balances(fund) == (AMOUNT, AMOUNT)
    fund.assert_books_agree()
    requested(fund, by="chebet")  # the officer may try again, or assign it to a loan


def daraja_result(conversation_id: str, code: str | int, receipt: str | None) -> str:
    result: dict[str, object] = {
        "ResultType": 0,
        "ResultCode": code,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": "dad6-4c34-8787-c8cb963a496d1268232",
        "ConversationID": conversation_id,
        "TransactionID": "SKE52PAWR9",
    }
    if receipt:
        result["ResultParameters"] = {
            "ResultParameter": [
                {"Key": "Amount", "Value": 1250.00},
                {"Key": "TransCompletedTime", "Value": 20260302132711},
                {"Key": "OriginalTransactionID", "Value": receipt},
            ]
        }
    return json.dumps({"Result": result})


def test_a_reversal_result_delivered_three_times_posts_once(in_suspense: Fund) -> None:
    fund = in_suspense
    fund.provider.lose_answer = True  # no synchronous answer: it waits for the callback
    reversal_id = approved(fund)
    sweep(fund)
    body = daraja_result("AG_20260302_rev1", 0, RECEIPT).encode()
    for _ in range(3):
        with fund.sessions.unit_of_work() as session:
            store_callback(
                session,
                Delivery("reversal/result", body, "127.0.0.1"),
                fund.clock(),
                fund.ports.blind_index,
            )
    process_pending(fund.sessions, fund.clock, fund.ports.blind_index)
    assert state(fund, reversal_id) == ("succeeded", "resolved")
    assert balances(fund) == (0, 0)
    with fund.sessions.unit_of_work() as session, pytest.raises(ReceiptNotOpen):
        request_reversal(session, RECEIPT, "Paid the wrong paybill", staff("amina"), fund.clock())
    fund.assert_books_agree()


def test_already_reversed_under_the_repeat_s_id_counts_as_done(in_suspense: Fund) -> None:
    """A repeat of a reversal whose first result was lost is answered R000001 without the
    receipt: it is matched by the repeat's ConversationID."""
    fund = in_suspense
    reversal_id = approved(fund)
    sweep(fund)
    with fund.sessions.reader() as session:
        reversal = session.get(CollectionReversal, reversal_id)
        assert reversal is not None
        assert reversal.provider_ref is not None
        ref = reversal.provider_ref
    body = daraja_result(ref, "R000001", None).encode()
    with fund.sessions.unit_of_work() as session:
        store_callback(
            session,
            Delivery("reversal/result", body, "127.0.0.1"),
            fund.clock(),
            fund.ports.blind_index,
        )
    process_pending(fund.sessions, fund.clock, fund.ports.blind_index)
    assert state(fund, reversal_id) == ("succeeded", "resolved")
    fund.assert_books_agree()


def test_a_reversal_is_decided_by_the_one_four_eyes_engine(in_suspense: Fund) -> None:
    fund = in_suspense
    reversal_id = approved(fund)
    with fund.sessions.reader() as session:
        reversal = session.get(CollectionReversal, reversal_id)
        assert reversal is not None
        request = session.get(ApprovalRequest, reversal.approval_id)
        assert request is not None
        assert (request.kind, request.subject_id, request.status, request.maker) == (
            "collection_reversal",
            RECEIPT,
            "approved",
            "amina",
        )
        assert [(d.decider, d.verdict) for d in request.decisions] == [("baraka", "approve")]


def test_a_reversal_nobody_approved_in_time_expires_and_holds_nothing(in_suspense: Fund) -> None:
    fund = in_suspense
    reversal_id = requested(fund)
    fund.clock.advance(days=2)
    with fund.sessions.unit_of_work() as session:
        reversal = approve_reversal(
            session, Ledger(session, fund.clock), reversal_id, staff("baraka"), fund.clock()
        )
        assert reversal.status == "expired"
    assert state(fund, reversal_id) == ("expired", "open")
    assert balances(fund) == (AMOUNT, AMOUNT)
    requested(fund, by="chebet")  # asked again, on a fresh request
