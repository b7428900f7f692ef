"""Daraja ``{"Result": ...}`` callbacks (B2C, transaction status, account balance, reversal) and
queue timeouts, read into neutral types. Payloads are the reference's samples (sections 4.3,
6.1, 6.2, 6.3), copied as literals."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from integrations.mpesa.callbacks import CallbackKind, natural_key, parse_timeout
from integrations.mpesa.normalise import MalformedCallback
from integrations.mpesa.results import (
    AccountBalance,
    b2c_result,
    balance_result,
    parse_account_balances,
    parse_result,
    reversal_result,
    status_result,
)
from integrations.payments.port import PayoutResult

QUEUE_TIMEOUT_URL = "https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit"

B2C_SUCCESS: dict[str, Any] = {
    "Result": {
        "ResultType": 0,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": "53e3-4aa8-9fe0-8fb5e4092cdd3533373",
        "ConversationID": "AG_20240706_2010364430d9bbdaf872",
        "TransactionID": "SG632NMUAB",
        "ResultParameters": {
            "ResultParameter": [
                {"Key": "TransactionAmount", "Value": 10},
                {"Key": "TransactionReceipt", "Value": "SG632NMUAB"},
                {"Key": "ReceiverPartyPublicName", "Value": "254705912645 - NICHOLAS JOHN SONGOK"},
                {"Key": "TransactionCompletedDateTime", "Value": "06.07.2024 22:48:52"},
                {"Key": "B2CUtilityAccountAvailableFunds", "Value": 8959269.60},
                {"Key": "B2CWorkingAccountAvailableFunds", "Value": 1199371.00},
                {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
                {"Key": "B2CChargesPaidAccountAvailableFunds", "Value": -1980.00},
            ]
        },
        "ReferenceData": {"ReferenceItem": {"Key": "QueueTimeoutURL", "Value": QUEUE_TIMEOUT_URL}},
    }
}

B2C_FAILURE: dict[str, Any] = {
    "Result": {
        "ResultType": 0,
        "ResultCode": 2001,
        "ResultDesc": "The initiator information is invalid.",
        "OriginatorConversationID": "53e3-4aa8-9fe0-8fb5e4092cdd3544366",
        "ConversationID": "AG_20240707_201062f6f6f5804f7a33",
        "TransactionID": "SG722NMVXQ",
        "ReferenceData": {"ReferenceItem": {"Key": "QueueTimeoutURL", "Value": QUEUE_TIMEOUT_URL}},
    }
}

# A real production account-balance failure: ResultParameter is one bare object.
BALANCE_FAILURE_SINGLE_PARAMETER: dict[str, Any] = {
    "Result": {
        "ResultType": 0,
        "ResultCode": 2001,
        "ResultDesc": "The initiator information is invalid.",
        "OriginatorConversationID": "16917-22577599-3",
        "ConversationID": "AG_20200625_00004e4c1f3c3e3b3ee4",
        "TransactionID": "OFP0000000",
        "ResultParameters": {
            "ResultParameter": {"Key": "BOCompletedTime", "Value": 20200625232427}
        },
    }
}

STATUS_RESULT: dict[str, Any] = {
    "Result": {
        "ConversationID": "AG_20180223_0000493344ae97d86f75",
        "OriginatorConversationID": "3213-416199-2",
        "ReferenceData": {"ReferenceItem": {"Key": "Occasion"}},
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "ResultParameters": {
            "ResultParameter": [
                {"Key": "DebitPartyName", "Value": "600310 - Safaricom333"},
                {"Key": "DebitPartyName", "Value": "254708374149 - John Doe"},
                {"Key": "OriginatorConversationID", "Value": "3211-416020-3"},
                {"Key": "InitiatedTime", "Value": "20180223054112"},
                {"Key": "DebitAccountType", "Value": "Utility Account"},
                {"Key": "DebitPartyCharges", "Value": "Fee For B2C Payment|KES|22.40"},
                {"Key": "TransactionReason"},
                {"Key": "ReasonType", "Value": "Business Payment to Customer via API"},
                {"Key": "TransactionStatus", "Value": "Completed"},
                {"Key": "FinalisedTime", "Value": "20180223054112"},
                {"Key": "Amount", "Value": "300"},
                {"Key": "ConversationID", "Value": "AG_20180223_000041b09c22e613d6c9"},
                {"Key": "ReceiptNo", "Value": "MBN31H462N"},
            ]
        },
        "ResultType": 0,
        "TransactionID": "MBN0000000",
    }
}

BALANCE_RESULT: dict[str, Any] = {
    "Result": {
        "ResultType": "0",
        "ResultCode": "0",
        "ResultDesc": "The service request is processed successfully",
        "OriginatorConversationID": "16917-22577599-3",
        "ConversationID": "AG_20200206_00005e091a8ec6b9eac5",
        "TransactionID": "OA90000000",
        "ResultParameters": {
            "ResultParameter": [
                {
                    "Key": "AccountBalance",
                    "Value": "Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|KES|0.00|0.00|0.00|0.00&Utility Account|KES|228037.00|228037.00|0.00|0.00&Charges Paid Account|KES|-1540.00|-1540.00|0.00|0.00&Organization Settlement Account|KES|0.00|0.00|0.00|0.00",  # noqa: E501
                },
                {"Key": "BOCompletedTime", "Value": "20200109125710"},
            ]
        },
        "ReferenceData": {
            "ReferenceItem": {
                "Key": "QueueTimeoutURL",
                "Value": "https://internalsandbox.safaricom.co.ke/mpesa/abresults/v1/submit",
            }
        },
    }
}

REVERSAL_SUCCESS: dict[str, Any] = {
    "Result": {
        "ResultType": 0,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": "dad6-4c34-8787-c8cb963a496d1268232",
        "ConversationID": "AG_20211114_201018edbbf9f1582eaa",
        "TransactionID": "SKE52PAWR9",
        "ResultParameters": {
            "ResultParameter": [
                {
                    "Key": "DebitAccountBalance",
                    "Value": "Utility Account|KES|7722179.62|7722179.62|0.00|0.00",
                },
                {"Key": "Amount", "Value": 1.00},
                {"Key": "TransCompletedTime", "Value": 20211114132711},
                {"Key": "OriginalTransactionID", "Value": "SKC82PACB8"},
                {"Key": "Charge", "Value": 0.00},
                {"Key": "CreditPartyPublicName", "Value": "254705912645 - NICHOLAS JOHN SONGOK"},
                {"Key": "DebitPartyPublicName", "Value": "600992 - Safaricom Daraja 992"},
            ]
        },
        "ReferenceData": {
            "ReferenceItem": {
                "Key": "QueueTimeoutURL",
                "Value": "https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit",
            }
        },
    }
}

REVERSAL_INVALID_ORIGINAL: dict[str, Any] = {
    "Result": {
        "ResultType": 0,
        "ResultCode": "R000002",
        "ResultDesc": "The OriginalTransactionID is invalid.",
        "OriginatorConversationID": "dad6-4c34-8787-c8cb963a496d1268299",
        "ConversationID": "AG_20211114_201018edbbf9f1582ebb",
        "TransactionID": "SKE52PAWS0",
    }
}

# The older spellings with spaces [OLD]: "Originator Conversation ID", "Conversation ID".
STATUS_RESULT_SPACED_KEYS: dict[str, Any] = {
    "Result": {
        "ResultType": 0,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "Originator Conversation ID": "3213-416199-2",
        "Conversation ID": "AG_20180223_0000493344ae97d86f75",
        "TransactionID": "MBN0000000",
        "ResultParameters": {
            "ResultParameter": [
                {"Key": "Originator Conversation ID", "Value": "3211-416020-3"},
                {"Key": "Conversation ID", "Value": "AG_20180223_000041b09c22e613d6c9"},
                {"Key": "DebitPartyName", "Value": "600310 - Safaricom333"},
                {"Key": "Credit Party Name", "Value": "254708374149 - John Doe"},
                {"Key": "Transaction Status", "Value": "Completed"},
                {"Key": "ReceiptNo", "Value": "MBN31H462N"},
            ]
        },
    }
}


def eat(*parts: int) -> datetime:
    """A UTC datetime given as EAT wall-clock parts (EAT = UTC+3)."""
    year, month, day, hour, minute, second = parts
    nairobi = timezone(timedelta(hours=3))
    return datetime(year, month, day, hour, minute, second, tzinfo=nairobi).astimezone(UTC)


# --- The envelope -------------------------------------------------------------------------


def test_a_result_envelope_keeps_its_ids_codes_and_items() -> None:
    envelope = parse_result(B2C_SUCCESS)

    assert (envelope.result_type, envelope.result_code) == ("0", "0")
    assert envelope.succeeded
    assert envelope.originator_id == "53e3-4aa8-9fe0-8fb5e4092cdd3533373"
    assert envelope.conversation_id == "AG_20240706_2010364430d9bbdaf872"
    assert envelope.transaction_id == "SG632NMUAB"
    assert envelope.parameters.get("TransactionAmount") == 10
    assert envelope.reference_items.get("QueueTimeoutURL") == QUEUE_TIMEOUT_URL


def test_keys_with_spaces_are_read_without_them() -> None:
    envelope = parse_result(STATUS_RESULT_SPACED_KEYS)
    assert envelope.originator_id == "3213-416199-2"
    assert envelope.conversation_id == "AG_20180223_0000493344ae97d86f75"
    status = status_result(envelope)
    assert status.originator_id == "3211-416020-3"
    assert status.conversation_id == "AG_20180223_000041b09c22e613d6c9"
    assert status.status == "Completed"
    assert (status.debit_party, status.credit_party) == (
        "600310 - Safaricom333",
        "254708374149 - John Doe",
    )


def test_a_result_without_either_id_is_malformed() -> None:
    body = copy.deepcopy(B2C_FAILURE)
    del body["Result"]["OriginatorConversationID"]
    del body["Result"]["ConversationID"]
    with pytest.raises(MalformedCallback, match="OriginatorConversationID"):
        parse_result(body)


def test_a_result_without_a_code_or_result_is_malformed() -> None:
    body = copy.deepcopy(B2C_FAILURE)
    del body["Result"]["ResultCode"]
    with pytest.raises(MalformedCallback, match=r"Result\.ResultCode: missing"):
        parse_result(body)
    with pytest.raises(MalformedCallback, match="Result: missing"):
        parse_result({"result": {}})


def test_a_result_parameter_that_is_not_an_object_is_named() -> None:
    body = copy.deepcopy(B2C_SUCCESS)
    body["Result"]["ResultParameters"]["ResultParameter"][2] = "oops"
    with pytest.raises(MalformedCallback, match=r"ResultParameter\[2\]: not an object"):
        parse_result(body)


# --- B2C ----------------------------------------------------------------------------------


def test_a_b2c_success_reads_receipt_amount_time_name_and_balance() -> None:
    result = b2c_result(parse_result(B2C_SUCCESS))

    assert result.succeeded
    assert result.receipt == "SG632NMUAB"
    assert result.amount_minor == 1000
    assert result.completed_at == eat(2024, 7, 6, 22, 48, 52)
    assert result.receiver_name == "NICHOLAS JOHN SONGOK"
    assert result.recipient_registered is True
    assert result.utility_balance_minor == 895_926_960


def test_a_b2c_success_becomes_the_ports_payout_result() -> None:
    assert b2c_result(parse_result(B2C_SUCCESS)).to_payout_result() == PayoutResult(
        originator_id="53e3-4aa8-9fe0-8fb5e4092cdd3533373",
        succeeded=True,
        receipt="SG632NMUAB",
        code="0",
        reason="The service request is processed successfully.",
        completed_at=eat(2024, 7, 6, 22, 48, 52),
    )


def test_a_b2c_failure_has_no_parameters_and_no_receipt() -> None:
    result = b2c_result(parse_result(B2C_FAILURE))

    assert not result.succeeded
    assert result.result_code == "2001"
    assert result.receipt is None  # the failure's TransactionID moved no money
    assert (result.amount_minor, result.completed_at, result.receiver_name) == (None,) * 3
    assert result.to_payout_result() == PayoutResult(
        originator_id="53e3-4aa8-9fe0-8fb5e4092cdd3544366",
        succeeded=False,
        receipt=None,
        code="2001",
        reason="The initiator information is invalid.",
    )


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (2, "Below M-Pesa's minimum payout (limit rule 2)"),
        ("3", "Above M-Pesa's maximum per transaction (limit rule 3)"),
        (4, "Over the customer's M-Pesa daily limit (limit rule 4)"),
        ("8", "The customer's M-Pesa balance would go over its maximum (limit rule 8)"),
    ],
)
def test_a_payout_declined_by_a_limit_rule_fails_with_a_reason_named_by_its_code(
    code: int | str, reason: str
) -> None:
    body = copy.deepcopy(B2C_FAILURE)
    body["Result"] |= {"ResultCode": code, "ResultDesc": "Declined due to limit rule"}
    payout = b2c_result(parse_result(body)).to_payout_result()
    assert (payout.succeeded, payout.code, payout.reason) == (False, str(code), reason)
    assert payout.receipt is None


def test_a_b2c_success_without_a_receipt_parameter_uses_the_transaction_id() -> None:
    body = copy.deepcopy(B2C_SUCCESS)
    params = body["Result"]["ResultParameters"]["ResultParameter"]
    body["Result"]["ResultParameters"]["ResultParameter"] = [
        item for item in params if item["Key"] != "TransactionReceipt"
    ]
    assert b2c_result(parse_result(body)).receipt == "SG632NMUAB"


def test_a_b2c_result_with_a_string_result_code_is_the_same() -> None:
    body = copy.deepcopy(B2C_SUCCESS)
    body["Result"]["ResultCode"] = "0"
    body["Result"]["ResultType"] = "0"
    assert b2c_result(parse_result(body)) == b2c_result(parse_result(B2C_SUCCESS))


def test_a_b2c_result_whose_result_parameter_is_a_single_object_still_parses() -> None:
    body = copy.deepcopy(B2C_SUCCESS)
    body["Result"]["ResultParameters"]["ResultParameter"] = {
        "Key": "TransactionAmount",
        "Value": "10.00",
    }
    result = b2c_result(parse_result(body))
    assert result.amount_minor == 1000
    assert result.receipt == "SG632NMUAB"


@pytest.mark.parametrize(
    ("public_name", "name"),
    [
        ("254705912645 - NICHOLAS JOHN SONGOK", "NICHOLAS JOHN SONGOK"),
        ("2547*****645 - NICHOLAS JOHN SONGOK", "NICHOLAS JOHN SONGOK"),
        ("NICHOLAS JOHN SONGOK", "NICHOLAS JOHN SONGOK"),
        ("254705912645", None),
        ("2547*****645", None),
        ("", None),
    ],
)
def test_a_b2c_receiver_name_drops_the_number_part(public_name: str, name: str | None) -> None:
    body = copy.deepcopy(B2C_SUCCESS)
    body["Result"]["ResultParameters"]["ResultParameter"][2]["Value"] = public_name
    assert b2c_result(parse_result(body)).receiver_name == name


def test_an_unregistered_recipient_reads_false_and_an_odd_flag_none() -> None:
    for flag, registered in (("N", False), ("n", False), ("?", None)):
        body = copy.deepcopy(B2C_SUCCESS)
        body["Result"]["ResultParameters"]["ResultParameter"][6]["Value"] = flag
        assert b2c_result(parse_result(body)).recipient_registered is registered


def test_a_b2c_result_with_only_a_conversation_id_cannot_become_a_payout() -> None:
    body = copy.deepcopy(B2C_FAILURE)
    del body["Result"]["OriginatorConversationID"]
    envelope = parse_result(body)
    with pytest.raises(MalformedCallback, match="OriginatorConversationID: missing"):
        b2c_result(envelope)


# --- Transaction status -------------------------------------------------------------------


def test_a_status_result_reads_the_queried_transaction() -> None:
    status = status_result(parse_result(STATUS_RESULT))

    assert status.query_originator_id == "3213-416199-2"
    assert status.result_code == "0"
    assert status.status == "Completed"
    assert status.receipt == "MBN31H462N"
    assert status.amount_minor == 30_000
    assert status.originator_id == "3211-416020-3"
    assert status.conversation_id == "AG_20180223_000041b09c22e613d6c9"
    assert status.initiated_at == eat(2018, 2, 23, 5, 41, 12)
    assert status.finalised_at == eat(2018, 2, 23, 5, 41, 12)
    assert status.charges == "Fee For B2C Payment|KES|22.40"
    assert status.reason_type == "Business Payment to Customer via API"


def test_the_two_debit_party_names_are_the_debit_and_the_credit_party() -> None:
    envelope = parse_result(STATUS_RESULT)
    assert envelope.parameters.get_all("DebitPartyName") == (
        "600310 - Safaricom333",
        "254708374149 - John Doe",
    )
    status = status_result(envelope)
    assert status.debit_party == "600310 - Safaricom333"
    assert status.credit_party == "254708374149 - John Doe"


def test_a_transaction_reason_item_without_a_value_is_present_but_empty() -> None:
    params = parse_result(STATUS_RESULT).parameters
    assert "TransactionReason" in params
    assert params.get("TransactionReason") is None
    assert params.get_all("TransactionReason") == ()


def test_a_reference_item_without_a_value_still_parses() -> None:
    items = parse_result(STATUS_RESULT).reference_items
    assert "Occasion" in items
    assert items.get("Occasion") is None


# --- Account balance ----------------------------------------------------------------------


def test_an_account_balance_result_with_string_type_and_code_lists_every_account() -> None:
    balances = balance_result(parse_result(BALANCE_RESULT))

    assert balances.result_code == "0"
    assert [account.name for account in balances.accounts] == [
        "Working Account",
        "Float Account",
        "Utility Account",
        "Charges Paid Account",
        "Organization Settlement Account",
    ]
    assert balances.account("utility account") == AccountBalance(
        name="Utility Account",
        currency="KES",
        current_minor=22_803_700,
        available_minor=22_803_700,
        reserved_minor=0,
        uncleared_minor=0,
    )
    charges = balances.account("Charges Paid Account")
    assert charges is not None
    assert charges.available_minor == -154_000
    assert balances.completed_at == eat(2020, 1, 9, 12, 57, 10)
    assert balances.account("Merchant Account") is None


def test_an_account_balance_string_missing_trailing_fields_still_parses() -> None:
    accounts = parse_account_balances(
        "Working Account|KES|700,000.00&Utility Account|KES|1.50|1.50||&", "AccountBalance"
    )
    assert accounts == (
        AccountBalance("Working Account", "KES", 70_000_000, None, None, None),
        AccountBalance("Utility Account", "KES", 150, 150, None, None),
    )


def test_an_account_balance_string_with_a_bad_amount_is_named() -> None:
    with pytest.raises(MalformedCallback, match="AccountBalance"):
        parse_account_balances("Working Account|KES|lots", "AccountBalance")


def test_a_failed_balance_query_with_a_single_object_parameter_has_no_accounts() -> None:
    balances = balance_result(parse_result(BALANCE_FAILURE_SINGLE_PARAMETER))

    assert balances.result_code == "2001"
    assert balances.accounts == ()
    assert balances.completed_at == eat(2020, 6, 25, 23, 24, 27)


# --- Reversal -----------------------------------------------------------------------------


def test_a_reversal_success_names_the_original_receipt_and_amount() -> None:
    reversal = reversal_result(parse_result(REVERSAL_SUCCESS))

    assert reversal.succeeded
    assert reversal.original_receipt == "SKC82PACB8"
    assert reversal.reversal_receipt == "SKE52PAWR9"
    assert reversal.amount_minor == 100
    assert reversal.charge_minor == 0
    assert reversal.completed_at == eat(2021, 11, 14, 13, 27, 11)


def test_a_reversal_of_an_invalid_original_fails_with_its_alphanumeric_code() -> None:
    reversal = reversal_result(parse_result(REVERSAL_INVALID_ORIGINAL))

    assert not reversal.succeeded
    assert not reversal.already_reversed
    assert reversal.result_code == "R000002"
    assert (reversal.original_receipt, reversal.reversal_receipt) == (None, None)


def test_an_already_reversed_payment_is_recognised() -> None:
    body = copy.deepcopy(REVERSAL_INVALID_ORIGINAL)
    body["Result"]["ResultCode"] = "R000001"
    assert reversal_result(parse_result(body)).already_reversed


# --- Queue timeouts and natural keys ------------------------------------------------------


def test_a_queue_timeout_in_the_result_envelope_gives_its_ids() -> None:
    timeout = parse_timeout(
        {
            "Result": {
                "ResultCode": 1,
                "ResultDesc": "Request timed out in the queue",
                "OriginatorConversationID": "53e3-4aa8-9fe0-8fb5e4092cdd3533373",
                "ConversationID": "AG_20240706_2010364430d9bbdaf872",
            }
        }
    )
    assert timeout.originator_id == "53e3-4aa8-9fe0-8fb5e4092cdd3533373"
    assert timeout.conversation_id == "AG_20240706_2010364430d9bbdaf872"
    assert (timeout.result_code, timeout.result_desc) == ("1", "Request timed out in the queue")


def test_a_queue_timeout_of_any_shape_gives_what_it_can() -> None:
    flat = parse_timeout({"originatorConversationId": "abc-1", "extra": [1, 2], "n": None})
    assert (flat.originator_id, flat.conversation_id, flat.result_code) == ("abc-1", None, None)
    nested = parse_timeout({"x": {"y": {"Conversation ID": "AG_1"}}, "ResultCode": {"a": 1}})
    assert (nested.originator_id, nested.conversation_id) == (None, "AG_1")
    odd_code = parse_timeout({"ConversationID": "AG_2", "ResultCode": [1]})
    assert odd_code.result_code is None


def test_a_queue_timeout_without_either_id_is_malformed() -> None:
    with pytest.raises(MalformedCallback, match="OriginatorConversationID"):
        parse_timeout({"Result": {"ResultCode": 1}})
    with pytest.raises(MalformedCallback, match="body: not an object"):
        parse_timeout("timeout")


def test_result_kinds_are_keyed_by_our_originator_id_else_the_conversation_id() -> None:
    assert natural_key(CallbackKind.B2C_RESULT, B2C_SUCCESS) == (
        "53e3-4aa8-9fe0-8fb5e4092cdd3533373"
    )
    assert natural_key(CallbackKind.STATUS_RESULT, STATUS_RESULT) == "3213-416199-2"
    assert natural_key(CallbackKind.BALANCE_RESULT, BALANCE_RESULT) == "16917-22577599-3"
    body = copy.deepcopy(REVERSAL_SUCCESS)
    del body["Result"]["OriginatorConversationID"]
    assert natural_key(CallbackKind.REVERSAL_RESULT, body) == "AG_20211114_201018edbbf9f1582eaa"
    assert natural_key(CallbackKind.QUEUE_TIMEOUT, {"ConversationID": "AG_3"}) == "AG_3"
