"""The payment port's contract: ONE suite, run against both adapters over real HTTP —
(DarajaClient + the Daraja simulator) and (AirtelClient + the Airtel simulator).

What every provider behind ``PaymentProvider`` must do: a payout's result arrives by callback
and by query; a refusal moves nothing; an answer lost to a timeout is UNKNOWN and the query
resolves it, and a resend under the same id is no second payment; collections succeed or fail
as the customer does; a payment is reversed once; the shared token is refreshed once for
everyone; every callback a simulator sends parses.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from integrations.oauth_tokens import InProcessTokenStore
from integrations.payments.port import CollectionOrder, PayoutOrder, Submission
from tests.contract.airtel_rig import AirtelRig
from tests.contract.daraja_rig import DarajaRig
from tests.contract.rigs import settle
from tests.support.clock import FrozenClock

PAYOUT_MINOR = 1_500_00
COLLECTION_MINOR = 200_00
HELD_ANSWER_S = 1.5

Rig = AirtelRig | DarajaRig


@pytest.fixture(scope="module", params=["daraja", "airtel"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    started: Rig = DarajaRig() if request.param == "daraja" else AirtelRig()
    try:
        yield started
    finally:
        started.client.close()
        started.close()


@pytest.fixture(autouse=True)
def every_callback_parses(rig: Rig) -> Iterator[None]:
    yield
    settle()
    rig.parse_every_callback()


def payout(msisdn: str) -> PayoutOrder:
    return PayoutOrder(uuid.uuid4().hex, msisdn, PAYOUT_MINOR, "Mkopo loan")


def collection(msisdn: str) -> CollectionOrder:
    return CollectionOrder(f"col{uuid.uuid4().hex[:12]}", msisdn, COLLECTION_MINOR, "LN00421")


def collect(rig: Rig, msisdn: str) -> tuple[str, Any]:
    submitted = rig.client.request_collection(collection(msisdn))
    assert submitted.submission is Submission.ACCEPTED, submitted
    assert submitted.checkout_id is not None
    return submitted.checkout_id, rig.collection_by_callback(submitted.checkout_id)


# -- payouts -----------------------------------------------------------------------------------


def test_a_payout_is_accepted_and_its_result_comes_by_callback_and_by_query(rig: Rig) -> None:
    msisdn = rig.number("00")
    order = payout(msisdn)
    submitted = rig.client.submit_payout(order)
    assert submitted.submission is Submission.ACCEPTED, submitted
    by_callback = rig.payout_by_callback(order.originator_id)
    by_query = rig.payout_by_query(order.originator_id)
    assert by_callback.succeeded
    assert by_query.succeeded
    assert by_callback.receipt
    assert rig.wallet(msisdn) == 50_000_00 + PAYOUT_MINOR


def test_a_payout_refused_for_insufficient_funds_moves_nothing(rig: Rig) -> None:
    msisdn = rig.number("02")
    order = payout(msisdn)
    submitted = rig.client.submit_payout(order)
    if submitted.submission is Submission.ACCEPTED:  # Daraja refuses in the result callback
        assert not rig.payout_by_callback(order.originator_id).succeeded
    else:  # Airtel refuses in the answer (HTTP 200, success false)
        assert submitted.submission is Submission.REJECTED
    assert not rig.payout_by_query(order.originator_id).succeeded
    assert rig.wallet(msisdn) == 50_000_00


def test_a_payout_whose_answer_is_lost_is_unknown_resolved_by_query_and_never_paid_twice(
    rig: Rig,
) -> None:
    msisdn = rig.number("00")
    order = payout(msisdn)
    rig.hold_next_payout_answer(HELD_ANSWER_S)
    assert rig.client.submit_payout(order).submission is Submission.UNKNOWN
    assert rig.payout_by_query(order.originator_id).succeeded
    again = rig.client.submit_payout(order)  # the same id: the provider deduplicates
    assert again.submission is Submission.ACCEPTED, again
    settle(HELD_ANSWER_S)
    assert rig.payouts_to(msisdn) == 1
    assert rig.wallet(msisdn) == 50_000_00 + PAYOUT_MINOR


def test_a_duplicate_submit_under_the_same_id_is_not_a_second_payment(rig: Rig) -> None:
    msisdn = rig.number("00")
    order = payout(msisdn)
    first, second = rig.client.submit_payout(order), rig.client.submit_payout(order)
    assert (first.submission, second.submission) == (Submission.ACCEPTED, Submission.ACCEPTED)
    assert rig.payout_by_callback(order.originator_id).succeeded
    settle()
    assert rig.payouts_to(msisdn) == 1
    assert rig.wallet(msisdn) == 50_000_00 + PAYOUT_MINOR


# -- collections -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "paid"),
    [("00", True), ("01", False), ("02", False)],
    ids=["success", "cancel", "insufficient"],
)
def test_a_collection_succeeds_or_fails_as_the_customer_does(
    rig: Rig, suffix: str, paid: bool
) -> None:
    msisdn = rig.number(suffix)
    checkout_id, result = collect(rig, msisdn)
    assert result.succeeded is paid
    assert (result.receipt is not None) is paid
    assert rig.wallet(msisdn) == 50_000_00 - (COLLECTION_MINOR if paid else 0)
    queried = rig.client.query_collection(checkout_id)
    assert queried is not None
    assert queried.succeeded is paid
    assert queried.checkout_id == checkout_id


def test_a_collection_still_open_has_no_result_yet(rig: Rig) -> None:
    msisdn = rig.number("00")
    rig.set_outcome(msisdn, "pending")
    submitted = rig.client.request_collection(collection(msisdn))
    assert submitted.checkout_id is not None
    assert rig.client.query_collection(submitted.checkout_id) is None


# -- reversals ---------------------------------------------------------------------------------


def test_a_payment_is_reversed_once_and_a_second_request_is_already_reversed(rig: Rig) -> None:
    msisdn = rig.number("00")
    checkout_id, paid = collect(rig, msisdn)
    assert paid.succeeded
    order = rig.reversal_order(paid, checkout_id, COLLECTION_MINOR)
    assert rig.client.request_reversal(order).submission is Submission.ACCEPTED
    assert rig.reversal_outcome(order, 1).succeeded
    again = rig.client.request_reversal(order)
    assert again.submission is Submission.ACCEPTED, again
    assert rig.reversal_outcome(order, 2).succeeded
    settle()
    assert rig.wallet(msisdn) == 50_000_00


# -- the shared token --------------------------------------------------------------------------


def test_a_revoked_token_is_refreshed_once_and_the_call_goes_through(rig: Rig) -> None:
    rig.client.query_collection("col0unknown")  # a token in hand
    before = rig.tokens_issued()
    rig.revoke_tokens()
    order = payout(rig.number("00"))
    assert rig.client.submit_payout(order).submission is Submission.ACCEPTED
    assert rig.tokens_issued() == 1  # the revoked ones are gone, one new one
    assert before >= 1


def test_an_expiring_token_is_refreshed_before_it_expires(rig: Rig) -> None:
    clock = FrozenClock()
    client = rig.fresh_client(clock=clock)
    try:
        rig.revoke_tokens()
        client.query_collection("col0unknown")
        clock.advance(seconds=rig.token_lifetime_s * 0.9 - 1)
        client.query_collection("col0unknown")
        assert rig.tokens_issued() == 1
        clock.advance(seconds=2)
        client.query_collection("col0unknown")
        assert rig.tokens_issued() == 2
    finally:
        client.close()


def test_eight_threads_needing_a_token_cause_one_fetch(rig: Rig) -> None:
    rig.revoke_tokens()
    client = rig.fresh_client(token_store=InProcessTokenStore())
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        client.query_collection("col0unknown")

    threads = [threading.Thread(target=work) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert rig.tokens_issued() == 1
    finally:
        client.close()


# -- callbacks ---------------------------------------------------------------------------------


def test_every_callback_a_simulator_sends_parses_with_our_parser(rig: Rig) -> None:
    for suffix in ("00", "01", "02", "03", "04", "05", "06", "08"):
        rig.client.submit_payout(payout(rig.number(suffix)))
        rig.client.request_collection(collection(rig.number(suffix)))
    settle(1.5)  # the delayed callbacks (0.5 s) and the duplicates
    assert rig.parse_every_callback() >= 8
