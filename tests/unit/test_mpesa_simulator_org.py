"""The simulator's Transaction Status, Account Balance and Reversal, driven by DarajaClient and
read back by our own result parsers; and the initiator lockout (8006)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from integrations.mpesa.results import (
    balance_result,
    parse_result,
    reversal_result,
    status_result,
)
from integrations.payments.port import PayoutOrder, Submission
from tests.unit.test_mpesa_simulator_harness import (
    BALANCE,
    REVERSAL,
    SHORTCODE,
    STATUS,
    Harness,
)

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
PLACEHOLDER = re.compile(r"[A-Z][A-L][1-9A-V]0000000")


def pay_out(sim: Harness, originator: str, phone: str, amount_minor: int = 2_500_00) -> None:
    with sim.daraja() as daraja:
        order = PayoutOrder(originator, phone, amount_minor, "Loan disbursement")
        assert daraja.submit_payout(order).submission is Submission.ACCEPTED


def test_a_paid_out_loan_reads_completed_with_its_receipt_by_originator_id(sim: Harness) -> None:
    pay_out(sim, "payout-7", "0712345600")
    [b2c] = sim.recorder.to("b2c/result")
    receipt = b2c["Result"]["TransactionID"]
    with sim.daraja() as daraja:
        ack = daraja.transaction_status(originator_id="payout-7")
    assert ack.accepted
    assert ack.originator_conversation_id is not None
    [body] = sim.recorder.to("status/result")
    result = status_result(parse_result(body))
    assert result.result_code == "0"
    assert result.status == "Completed"
    assert result.receipt == receipt
    assert result.originator_id == "payout-7"
    assert result.query_originator_id == ack.originator_conversation_id
    assert result.amount_minor == 2_500_00
    assert result.initiated_at == result.finalised_at == NOW
    assert result.debit_party == f"{SHORTCODE} - MKOPO SIM FUND"
    assert result.credit_party == "254712345600 - SIM CUSTOMER"
    assert result.reason_type == "Business Payment to Customer via API"
    # Reference §6.1's shape: two DebitPartyName items, string times, a placeholder id.
    keys = [item["Key"] for item in body["Result"]["ResultParameters"]["ResultParameter"]]
    assert keys.count("DebitPartyName") == 2
    assert {"Key": "TransactionReason"} in body["Result"]["ResultParameters"]["ResultParameter"]
    assert {"Key": "InitiatedTime", "Value": "20260302100000"} in (
        body["Result"]["ResultParameters"]["ResultParameter"]
    )
    assert PLACEHOLDER.fullmatch(body["Result"]["TransactionID"])
    assert body["Result"]["ReferenceData"] == {"ReferenceItem": {"Key": "Occasion"}}


def test_a_status_query_by_receipt_finds_the_same_payout(sim: Harness) -> None:
    pay_out(sim, "payout-8", "0712345600")
    receipt = sim.recorder.to("b2c/result")[0]["Result"]["TransactionID"]
    with sim.daraja() as daraja:
        assert daraja.transaction_status(receipt=receipt).accepted
    result = status_result(parse_result(sim.recorder.to("status/result")[0]))
    assert (result.status, result.receipt, result.originator_id) == (
        "Completed",
        receipt,
        "payout-8",
    )


@pytest.mark.parametrize(
    ("phone", "status", "utility_debited"),
    [
        ("0712345601", "Cancelled", False),  # 2040: the recipient is not registered
        ("0712345602", "Cancelled", False),  # 1: the utility account is short
        ("0712345606", "Expired", False),  # queue timeout, no money moved
        ("0712345607", "Completed", True),  # late: the notice came, yet the money moved
    ],
)
def test_a_payout_that_did_not_complete_reads_a_final_non_success_status(
    sim: Harness, phone: str, status: str, utility_debited: bool
) -> None:
    before = sim.state.org.utility_minor
    pay_out(sim, "payout-x", phone)
    with sim.daraja() as daraja:
        daraja.transaction_status(originator_id="payout-x")
    result = status_result(parse_result(sim.recorder.to("status/result")[0]))
    assert result.result_code == "0"
    assert result.status == status
    assert (sim.state.org.utility_minor < before) is utility_debited


def test_a_payout_in_flight_reads_initiated_until_it_is_resolved(sim: Harness) -> None:
    sim.http.post("/__sim__/outcomes", json={"outcome": "pending"})
    pay_out(sim, "payout-9", "0712345600")
    with sim.daraja() as daraja:
        daraja.transaction_status(originator_id="payout-9")
        in_flight = status_result(parse_result(sim.recorder.to("status/result")[0]))
        assert sim.recorder.to("b2c/result") == []
        resolved = sim.http.post("/__sim__/b2c/payout-9/resolve", json={"outcome": "success"})
        assert resolved.json()["ResultCode"] == 0
        daraja.transaction_status(originator_id="payout-9")
    done = status_result(parse_result(sim.recorder.to("status/result")[1]))
    assert in_flight.status == "Initiated"
    assert in_flight.receipt is None
    assert in_flight.finalised_at is None
    assert done.status == "Completed"
    assert done.receipt == sim.recorder.to("b2c/result")[0]["Result"]["TransactionID"]


def test_an_unknown_id_reads_2032_without_parameters(sim: Harness) -> None:
    with sim.daraja() as daraja:
        daraja.transaction_status(originator_id="never-sent")
        daraja.transaction_status(receipt="UC2ABCDEFG")
    for body in sim.recorder.to("status/result"):
        result = status_result(parse_result(body))
        assert result.result_code == "2032"
        assert result.result_desc == "The transaction receipt number does not exist."
        assert result.status is None
        assert "ResultParameters" not in body["Result"]


def test_an_stk_repayment_reads_completed_with_the_payer_as_debit_party(sim: Harness) -> None:
    receipt = sim.pay_by_stk("254712345600", 500)
    with sim.daraja() as daraja:
        daraja.transaction_status(receipt=receipt)
    result = status_result(parse_result(sim.recorder.to("status/result")[0]))
    assert result.status == "Completed"
    assert result.receipt == receipt
    assert result.amount_minor == 500_00
    assert result.originator_id is None  # a customer's payment carries no id of ours
    assert result.debit_party == "254712345600 - SIM CUSTOMER"
    assert result.credit_party == f"{SHORTCODE} - MKOPO SIM FUND"
    assert result.reason_type == "Pay Bill Online"


def test_status_refuses_a_query_without_either_id_and_a_bad_token(sim: Harness) -> None:
    body = {
        "Initiator": "testapi",
        "SecurityCredential": "x",
        "CommandID": "TransactionStatusQuery",
        "PartyA": SHORTCODE,
        "IdentifierType": "4",
        "ResultURL": "https://mkopo.test/r",
        "QueueTimeOutURL": "https://mkopo.test/t",
        "Remarks": "Status check",
    }
    missing = sim.http.post(STATUS, json=body, headers=sim.headers())
    assert missing.status_code == 400
    assert missing.json()["errorMessage"] == "Bad Request - Invalid TransactionID"
    wrong_command = body | {"TransactionID": "UC2ABCDEFG", "CommandID": "AccountBalance"}
    refused = sim.http.post(STATUS, json=wrong_command, headers=sim.headers())
    assert refused.json()["errorMessage"] == "Bad Request - Invalid CommandID"
    for path, code in ((STATUS, "400.003.01"), (BALANCE, "401.002.01"), (REVERSAL, "404.001.03")):
        answer = sim.http.post(path, json=body, headers={"Authorization": "Bearer nope"})
        assert answer.json()["errorCode"] == code


def test_account_balance_reports_working_utility_and_charges_accounts(sim: Harness) -> None:
    sim.pay_by_stk("254712345600", 700)
    pay_out(sim, "payout-b", "0712345600", 1_000_00)
    with sim.daraja() as daraja:
        assert daraja.account_balance().accepted
    [body] = sim.recorder.to("balance/result")
    assert (body["Result"]["ResultType"], body["Result"]["ResultCode"]) == ("0", "0")
    text = body["Result"]["ResultParameters"]["ResultParameter"][0]["Value"]
    assert text.startswith("Working Account|KES|700.00|700.00|0.00|0.00&Float Account|KES|0.00|")
    assert "&Utility Account|KES|999000.00|999000.00|0.00|0.00&" in text
    balances = balance_result(parse_result(body))
    assert [a.name for a in balances.accounts] == [
        "Working Account",
        "Float Account",
        "Utility Account",
        "Charges Paid Account",
        "Organization Settlement Account",
    ]
    working, utility = balances.account("working account"), balances.account("Utility Account")
    assert working is not None
    assert utility is not None
    assert working.available_minor == sim.state.org.working_minor == 700_00
    assert utility.current_minor == sim.state.org.utility_minor == 999_000_00
    assert balances.completed_at == NOW


@pytest.mark.parametrize("channel", ["stk", "c2b"])
def test_a_repayment_is_reversed_once_back_to_the_payer(sim: Harness, channel: str) -> None:
    phone = "254712345678"
    if channel == "stk":
        receipt = sim.pay_by_stk(phone, 300)
    else:
        receipt = sim.pay_by_c2b(phone, 300, "LN12345")
    wallet_paid = sim.state.wallet(phone)
    with sim.daraja() as daraja:
        first = daraja.reversal(receipt, 300_00, "Paid twice")
        second = daraja.reversal(receipt, 300_00, "Paid twice")
    assert first.accepted
    assert second.accepted  # the refusal comes in the result, not the acknowledgement
    done, again = (reversal_result(parse_result(b)) for b in sim.recorder.to("reversal/result"))
    assert done.succeeded
    assert done.original_receipt == receipt
    assert done.reversal_receipt is not None
    assert done.reversal_receipt != receipt
    assert done.amount_minor == 300_00
    assert done.charge_minor == 0
    assert done.completed_at == NOW
    assert done.originator_id == first.originator_conversation_id
    assert again.already_reversed
    assert again.result_code == "R000001"
    assert sim.state.wallet(phone) == wallet_paid + 300_00
    assert sim.state.org.working_minor == 0


def test_reversing_an_unknown_receipt_or_a_payout_is_r000002(sim: Harness) -> None:
    pay_out(sim, "payout-r", "0712345600")
    payout_receipt = sim.recorder.to("b2c/result")[0]["Result"]["TransactionID"]
    with sim.daraja() as daraja:
        daraja.reversal("UC2NOSUCH1", 100_00, "Mistake")
        daraja.reversal(payout_receipt, 2_500_00, "B2C is portal-only")
    for body in sim.recorder.to("reversal/result"):
        result = reversal_result(parse_result(body))
        assert result.result_code == "R000002"
        assert result.result_desc == "The OriginalTransactionID is invalid."
        assert result.reversal_receipt is None


def test_reversing_a_different_amount_is_refused_and_moves_nothing(sim: Harness) -> None:
    receipt = sim.pay_by_stk("254712345678", 300)
    with sim.daraja() as daraja:
        daraja.reversal(receipt, 200_00, "Partial")
    result = reversal_result(parse_result(sim.recorder.to("reversal/result")[0]))
    assert result.result_code == "25"
    assert sim.state.org.working_minor == 300_00


def test_three_wrong_credentials_lock_the_initiator_until_unlocked(sim: Harness) -> None:
    with sim.daraja(password="wrong-password") as wrong:
        for n in range(3):
            order = PayoutOrder(f"bad-{n}", "0712345600", 100_00, "Loan disbursement")
            wrong.submit_payout(order)
    assert [b["Result"]["ResultCode"] for b in sim.recorder.to("b2c/result")] == [2001] * 3
    receipt = sim.pay_by_stk("254712345678", 300)
    with sim.daraja() as right:
        right.submit_payout(PayoutOrder("good-1", "0712345600", 100_00, "Loan disbursement"))
        right.transaction_status(originator_id="good-1")
        right.account_balance()
        right.reversal(receipt, 300_00, "Paid twice")
        sim.http.post("/__sim__/initiator/unlock")
        right.account_balance()
    locked_payout = parse_result(sim.recorder.to("b2c/result")[3])
    assert (locked_payout.result_code, locked_payout.result_desc) == (
        "8006",
        "The security credential is locked.",
    )
    assert parse_result(sim.recorder.to("status/result")[0]).result_code == "8006"
    assert parse_result(sim.recorder.to("reversal/result")[0]).result_code == "8006"
    locked_balance, unlocked_balance = sim.recorder.to("balance/result")
    # The refused balance query: ONE bare ResultParameter object, an int BOCompletedTime.
    assert locked_balance["Result"]["ResultParameters"] == {
        "ResultParameter": {"Key": "BOCompletedTime", "Value": 20260302100000}
    }
    refused = balance_result(parse_result(locked_balance))
    assert (refused.result_code, refused.accounts, refused.completed_at) == ("8006", (), NOW)
    assert balance_result(parse_result(unlocked_balance)).result_code == "0"
    assert sim.state.org.working_minor == 300_00  # the locked reversal moved nothing


def test_a_right_credential_between_wrong_ones_resets_the_count(sim: Harness) -> None:
    with sim.daraja(password="wrong-password") as wrong, sim.daraja() as right:
        wrong.account_balance()
        wrong.account_balance()
        right.account_balance()
        wrong.account_balance()
        right.account_balance()
    codes = [b["Result"]["ResultCode"] for b in sim.recorder.to("balance/result")]
    assert codes == ["2001", "2001", "0", "2001", "0"]
    assert not sim.state.initiator_locked
