"""Airtel's codes read into the port's accepted / rejected / unknown, for every DP008 / DP009
code in the reference and the sources' code tables, and the rule that a refusal arrives as
HTTP 200 with ``status.success`` false (a client reading HTTP 200 as success fails here)."""

from __future__ import annotations

import httpx
import pytest

from integrations.airtel.client import AirtelClient
from integrations.payments.port import CollectionOrder, PayoutOrder, Submission
from tests.support.airtel import PHONE, FakeAirtel, answer, client
from tests.support.clock import FrozenClock

A, R, U = Submission.ACCEPTED, Submission.REJECTED, Submission.UNKNOWN

DISBURSEMENT_ANSWERS: list[tuple[str, bool, Submission]] = [
    ("DP00900001001", True, A),  # success
    ("DP00900001006", True, A),  # in process
    ("DP00900001000", True, U),  # ambiguous: enquire
    ("DP00900001000", False, U),
    ("DP00900001014", False, U),  # timed out, may be processed: enquire
    ("DP00900001017", False, A),  # duplicate id: an earlier send arrived
    ("DP00900001003", False, R),
    ("DP00900001004", False, R),
    ("DP00900001005", False, R),
    ("DP00900001007", False, R),
    ("DP00900001009", False, R),
    ("DP00900001010", False, R),
    ("DP00900001011", False, R),
    ("DP00900001012", False, R),
    ("DP00900001013", False, R),
    ("DP00900001015", False, R),
    ("DP00900001016", False, R),
]
COLLECTION_ANSWERS: list[tuple[str, bool, Submission]] = [
    ("DP00800001006", True, A),
    ("DP00800001001", True, A),
    ("DP00800001000", True, U),
    ("DP00800001002", False, R),
    ("DP00800001003", False, R),
    ("DP00800001004", False, R),
    ("DP00800001005", False, R),
    ("DP00800001007", False, R),
    ("DP00800001008", False, R),
    ("DP00800001009", False, R),
    ("DP00800001010", False, R),
    ("DP00800001024", False, R),
    ("DP00800001025", False, R),
    ("DP00800001026", False, R),
    ("DP00800001029", False, R),
]


def payout() -> PayoutOrder:
    return PayoutOrder("payout1", PHONE, 150_000, "Mkopo loan")


def collection() -> CollectionOrder:
    return CollectionOrder("col1", PHONE, 20_000, "LN00421")


def airtel(step: httpx.Response) -> tuple[AirtelClient, FakeAirtel]:
    fake = FakeAirtel(default=step)
    return client(fake, FrozenClock(), []), fake


@pytest.mark.parametrize(("code", "success", "expected"), DISBURSEMENT_ANSWERS)
def test_every_disbursement_code_reads_as_the_reference_says(
    code: str, success: bool, expected: Submission
) -> None:
    result = airtel(answer(success, code))[0].submit_payout(payout())
    assert result.submission is expected
    assert result.code == code


@pytest.mark.parametrize(("code", "success", "expected"), COLLECTION_ANSWERS)
def test_every_collection_code_reads_as_the_reference_says(
    code: str, success: bool, expected: Submission
) -> None:
    result = airtel(answer(success, code))[0].request_collection(collection())
    assert result.submission is expected
    assert (result.checkout_id == "col1") is (expected is not R)


@pytest.mark.parametrize(
    ("result_code", "expected"),
    [("ESB000041", A), ("ESB000001", U), ("ESB000008", R), ("ROUTER115", R), ("ROUTER116", R)],
)
def test_result_codes_decide_when_there_is_no_response_code(
    result_code: str, expected: Submission
) -> None:
    assert (
        airtel(answer(False, None, result_code))[0].submit_payout(payout()).submission is expected
    )


@pytest.mark.parametrize("success", [False, "false", "False", 0])
@pytest.mark.parametrize("code", ["DP00900001007", "XX_NEW_CODE", None])
def test_a_refusal_is_http_200_with_success_false(success: object, code: str | None) -> None:
    result = airtel(answer(success, code, result_code="ESB000011"))[0].submit_payout(payout())
    assert result.submission is Submission.REJECTED


@pytest.mark.parametrize(
    ("success", "code"),
    [
        (False, "DP00900001001"),  # success code, success false: contradiction
        (False, "DP00900001006"),
        (True, "DP00900001007"),  # failure code, success true
        (None, None),  # HTTP 200 and no status at all
    ],
)
def test_contradictory_or_empty_answers_are_unknown_never_a_refusal(
    success: object, code: str | None
) -> None:
    step = answer(success, code) if success is not None else httpx.Response(200, json={})
    assert airtel(step)[0].submit_payout(payout()).submission is Submission.UNKNOWN


def test_an_unknown_code_with_success_true_is_accepted() -> None:
    assert airtel(answer(True, "DP00900009999"))[0].submit_payout(payout()).submission is A


@pytest.mark.parametrize(
    ("status", "succeeded"),
    [("TS", True), ("ts", True), ("TF", False), ("TR", False)],
)
def test_a_final_disbursement_enquiry_is_a_payout_result(status: str, succeeded: bool) -> None:
    tx = {"id": "payout1", "status": status, "airtel_money_id": "CI9", "message": "m"}
    found = airtel(answer(True, "DP00900001001", transaction=tx))[0].query_payout("payout1")
    assert found is not None
    assert found.succeeded is succeeded
    assert found.receipt == ("CI9" if succeeded else None)


@pytest.mark.parametrize("status", ["TIP", "TA", "TI", "", "SOMETHING"])
def test_an_open_disbursement_enquiry_is_no_result_yet(status: str) -> None:
    tx = {"id": "payout1", "status": status}
    assert airtel(answer(True, "DP00900001006", transaction=tx))[0].query_payout("payout1") is None


def test_a_failed_transaction_is_final_even_when_the_envelope_says_success_false() -> None:
    tx = {"id": "payout1", "status": "TF", "message": "Insufficient funds"}
    found = airtel(answer(False, "DP00900001007", transaction=tx))[0].query_payout("payout1")
    assert found is not None
    assert not found.succeeded
    assert found.code == "DP00900001007"


@pytest.mark.parametrize(
    "step",
    [
        answer(False, "DP00900001015", "ESB000045"),  # not found (yet): send again, same id
        answer(False, None, "ESB000014"),
        httpx.Response(503, text="<html>busy</html>"),
    ],
)
def test_an_enquiry_that_cannot_say_is_no_result(step: httpx.Response) -> None:
    assert airtel(step)[0].query_payout("payout1") is None


def test_the_collection_enquiry_reads_a_reversed_payment_as_paid_then_refunded() -> None:
    tx = {"id": "col1", "status": "TR", "airtel_money_id": "CI7"}
    found = airtel(answer(True, "DP00800001001", transaction=tx))[0].query_collection("col1")
    assert found is not None
    assert found.succeeded
    assert found.code == "TR"
