"""Daraja STK and C2B callbacks read into neutral types, with every quirk of the reference.

The payloads are the Daraja reference's samples (sections 2.3, 2.5, 3.3), copied as literals;
result envelopes (B2C, status, balance, reversal) are in ``test_mpesa_callbacks_results.py``.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.mpesa.callbacks import (
    C2BRejection,
    CallbackKind,
    StkQueryState,
    c2b_confirmation_ack,
    c2b_validation_accept,
    c2b_validation_reject,
    natural_key,
    parse_c2b,
    parse_stk_callback,
    parse_stk_query_response,
    result_ack,
    stk_ack,
)
from integrations.mpesa.normalise import (
    MalformedCallback,
    amount_minor,
    balance_minor,
    msisdn_fits_hint,
)
from integrations.payments.port import CollectionResult

STK_SUCCESS: dict[str, Any] = {
    "Body": {
        "stkCallback": {
            "MerchantRequestID": "29115-34620561-1",
            "CheckoutRequestID": "ws_CO_191220191020363925",
            "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
            "CallbackMetadata": {
                "Item": [
                    {"Name": "Amount", "Value": 1.00},
                    {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                    {"Name": "Balance"},
                    {"Name": "TransactionDate", "Value": 20191219102115},
                    {"Name": "PhoneNumber", "Value": 254708374149},
                ]
            },
        }
    }
}

STK_CANCELLED: dict[str, Any] = {
    "Body": {
        "stkCallback": {
            "MerchantRequestID": "f1e2-4b95-a71d-b30d3cdbb7a7942864",
            "CheckoutRequestID": "ws_CO_21072024125243250722943992",
            "ResultCode": 1032,
            "ResultDesc": "Request cancelled by user",
        }
    }
}

STK_QUERY_SUCCESS: dict[str, Any] = {
    "ResponseCode": "0",
    "ResponseDescription": "The service request has been accepted successfully",
    "MerchantRequestID": "22205-34066-1",
    "CheckoutRequestID": "ws_CO_13012021093521236557",
    "ResultCode": "0",
    "ResultDesc": "The service request is processed successfully.",
}

STK_QUERY_STILL_PROCESSING: dict[str, Any] = {
    "requestId": "ws_CO_13012021093521236557",
    "errorCode": "500.001.1001",
    "errorMessage": "The transaction is being processed",
}

C2B_V2_MASKED: dict[str, Any] = {
    "TransactionType": "Pay Bill",
    "TransID": "RKL51ZDR4F",
    "TransTime": "20231121121325",
    "TransAmount": "5.00",
    "BusinessShortCode": "600966",
    "BillRefNumber": "Sample Transaction",
    "InvoiceNumber": "",
    "OrgAccountBalance": "25.00",
    "ThirdPartyTransID": "",
    "MSISDN": "2547 ***** 126",
    "FirstName": "NICHOLAS",
    "MiddleName": "",
    "LastName": "",
}

# A real production shape: a bank-originated payment with a numeric amount and no MSISDN.
C2B_NUMERIC_AMOUNT_NO_MSISDN: dict[str, Any] = {
    **C2B_V2_MASKED,
    "TransID": "SKC82PACB8",
    "TransAmount": 41500.0,
    "BillRefNumber": " ln-0042 17 ",
    "OrgAccountBalance": "",
    "MSISDN": "",
    "FirstName": "",
}

BORROWER_MSISDN = "254708374149"
C2B_V1_HASHED: dict[str, Any] = {
    **C2B_V2_MASKED,
    "TransactionType": "",
    "MSISDN": hashlib.sha256(BORROWER_MSISDN.encode()).hexdigest(),
    "FirstName": "John",
    "MiddleName": "K",
    "LastName": "Doe",
}


def eat(*parts: int) -> datetime:
    """A UTC datetime given as EAT wall-clock parts (EAT = UTC+3)."""
    year, month, day, hour, minute, second = parts
    nairobi = timezone(timedelta(hours=3))
    return datetime(year, month, day, hour, minute, second, tzinfo=nairobi).astimezone(UTC)


# --- STK callback -------------------------------------------------------------------------


def test_an_stk_success_reads_amount_receipt_time_and_phone_by_name() -> None:
    result = parse_stk_callback(STK_SUCCESS)

    assert result.checkout_id == "ws_CO_191220191020363925"
    assert result.merchant_request_id == "29115-34620561-1"
    assert result.succeeded
    assert result.result_code == "0"
    assert result.amount_minor == 100
    assert result.receipt == "NLJ7RT61SV"
    assert result.paid_at == eat(2019, 12, 19, 10, 21, 15)
    assert result.phone == "254708374149"
    assert result.phone_hint == "2547******49"


def test_an_stk_balance_item_without_a_value_is_ignored() -> None:
    without_balance = copy.deepcopy(STK_SUCCESS)
    items = without_balance["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
    items[:] = [item for item in items if item["Name"] != "Balance"]
    assert parse_stk_callback(STK_SUCCESS) == parse_stk_callback(without_balance)


def test_stk_items_are_read_by_name_whatever_their_order() -> None:
    body = copy.deepcopy(STK_SUCCESS)
    items = body["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
    items.reverse()
    assert parse_stk_callback(body) == parse_stk_callback(STK_SUCCESS)


def test_an_stk_amount_given_as_a_string_or_int_is_the_same_cents() -> None:
    for amount in ("2500", 2500, 2500.0, "2,500.00"):
        body = copy.deepcopy(STK_SUCCESS)
        body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][0]["Value"] = amount
        assert parse_stk_callback(body).amount_minor == 250_000


def test_a_cancelled_stk_push_has_no_metadata_and_fails_with_its_code() -> None:
    result = parse_stk_callback(STK_CANCELLED)

    assert not result.succeeded
    assert result.result_code == "1032"
    assert result.result_desc == "Request cancelled by user"
    assert (result.amount_minor, result.receipt, result.paid_at, result.phone) == (None,) * 4


def test_a_masked_stk_phone_is_kept_only_as_a_hint() -> None:
    body = copy.deepcopy(STK_SUCCESS)
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][4]["Value"] = "2547*****149"
    result = parse_stk_callback(body)
    assert result.phone is None
    assert result.phone_hint == "2547*****149"


def test_an_stk_callback_without_phone_or_date_still_parses() -> None:
    body = copy.deepcopy(STK_SUCCESS)
    items = body["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"] = items[:2]
    result = parse_stk_callback(body)
    assert (result.phone, result.paid_at) == (None, None)


def test_a_single_stk_item_given_as_an_object_still_parses() -> None:
    body = copy.deepcopy(STK_SUCCESS)
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"] = {"Name": "Amount", "Value": 10}
    assert parse_stk_callback(body).amount_minor == 1000


def test_an_stk_result_becomes_the_ports_collection_result() -> None:
    assert parse_stk_callback(STK_SUCCESS).to_collection_result() == CollectionResult(
        checkout_id="ws_CO_191220191020363925",
        succeeded=True,
        receipt="NLJ7RT61SV",
        amount_minor=100,
        code="0",
        reason="The service request is processed successfully.",
    )
    cancelled = parse_stk_callback(STK_CANCELLED).to_collection_result()
    assert (cancelled.succeeded, cancelled.code, cancelled.receipt) == (False, "1032", None)


def test_an_alphanumeric_stk_result_code_is_kept_as_text() -> None:
    body = copy.deepcopy(STK_CANCELLED)
    body["Body"]["stkCallback"]["ResultCode"] = "SFC_IC0003"
    result = parse_stk_callback(body)
    assert (result.result_code, result.succeeded) == ("SFC_IC0003", False)


# --- STK query ----------------------------------------------------------------------------


def test_an_stk_query_success_with_string_codes_is_final_but_has_no_receipt() -> None:
    outcome = parse_stk_query_response(STK_QUERY_SUCCESS)

    assert outcome.state is StkQueryState.SUCCEEDED
    assert outcome.checkout_id == "ws_CO_13012021093521236557"
    assert outcome.to_collection_result() == CollectionResult(
        checkout_id="ws_CO_13012021093521236557",
        succeeded=True,
        receipt=None,
        amount_minor=None,
        code="0",
        reason="The service request is processed successfully.",
    )


def test_an_stk_query_with_a_failure_code_is_a_failed_payment() -> None:
    body = {**STK_QUERY_SUCCESS, "ResultCode": "1032", "ResultDesc": "Request cancelled by user"}
    outcome = parse_stk_query_response(body)
    assert outcome.state is StkQueryState.FAILED
    result = outcome.to_collection_result()
    assert result is not None
    assert (result.succeeded, result.code) == (False, "1032")


def test_the_transaction_is_being_processed_error_means_still_pending() -> None:
    outcome = parse_stk_query_response(STK_QUERY_STILL_PROCESSING)
    assert outcome.state is StkQueryState.PENDING
    assert outcome.to_collection_result() is None


def test_an_accepted_query_without_a_result_code_yet_is_still_pending() -> None:
    body = {k: v for k, v in STK_QUERY_SUCCESS.items() if k not in ("ResultCode", "ResultDesc")}
    assert parse_stk_query_response(body).state is StkQueryState.PENDING


def test_another_error_envelope_on_the_query_says_nothing_about_the_payment() -> None:
    body = {
        "requestId": "1c5b-4ba8-815c-ac45c57a3db01495926",
        "errorCode": "500.001.1001",
        "errorMessage": "[MerchantValidate] - Wrong credentials",
    }
    outcome = parse_stk_query_response(body)
    assert outcome.state is StkQueryState.UNKNOWN
    assert outcome.result_code == "500.001.1001"
    assert outcome.to_collection_result() is None


def test_an_stk_query_result_without_a_checkout_id_is_malformed() -> None:
    body = {k: v for k, v in STK_QUERY_SUCCESS.items() if k != "CheckoutRequestID"}
    with pytest.raises(MalformedCallback, match="CheckoutRequestID"):
        parse_stk_query_response(body)


# --- C2B validation and confirmation ------------------------------------------------------


def test_a_c2b_v2_payment_with_a_masked_msisdn_keeps_only_the_hint() -> None:
    payment = parse_c2b(C2B_V2_MASKED)

    assert payment.receipt == "RKL51ZDR4F"
    assert payment.kind == "Pay Bill"
    assert payment.paid_at == eat(2023, 11, 21, 12, 13, 25)
    assert payment.amount_minor == 500
    assert payment.shortcode == "600966"
    assert payment.account_reference == "SAMPLETRANSACTION"
    assert payment.account_reference_raw == "Sample Transaction"
    assert payment.invoice_number is None
    assert payment.org_balance_minor == 2500
    assert payment.msisdn is None
    assert payment.msisdn_hint == "2547*****126"
    assert payment.payer_name == "NICHOLAS"
    assert payment.third_party_id is None


def test_a_c2b_payment_with_a_numeric_amount_and_blank_msisdn_parses() -> None:
    payment = parse_c2b(C2B_NUMERIC_AMOUNT_NO_MSISDN)

    assert payment.amount_minor == 4_150_000
    assert (payment.msisdn, payment.msisdn_hint) == (None, None)
    assert payment.payer_name is None


def test_a_blank_org_balance_in_validation_is_none() -> None:
    assert parse_c2b(C2B_NUMERIC_AMOUNT_NO_MSISDN).org_balance_minor is None


def test_the_bill_reference_is_trimmed_upper_cased_and_squeezed_but_the_raw_is_kept() -> None:
    payment = parse_c2b(C2B_NUMERIC_AMOUNT_NO_MSISDN)
    assert payment.account_reference == "LN-004217"
    assert payment.account_reference_raw == " ln-0042 17 "


def test_a_buy_goods_payment_has_no_bill_reference() -> None:
    payment = parse_c2b({**C2B_V2_MASKED, "TransactionType": "Buy Goods", "BillRefNumber": None})
    assert (payment.account_reference, payment.account_reference_raw) == (None, "")


def test_a_c2b_v1_hashed_msisdn_matches_the_borrowers_known_number() -> None:
    payment = parse_c2b(C2B_V1_HASHED)

    assert payment.msisdn is None
    assert payment.msisdn_hint == C2B_V1_HASHED["MSISDN"]
    assert payment.msisdn_hint is not None
    assert msisdn_fits_hint(BORROWER_MSISDN, payment.msisdn_hint)
    assert not msisdn_fits_hint("254708374148", payment.msisdn_hint)
    assert payment.kind is None
    assert payment.payer_name == "John K Doe"


@pytest.mark.parametrize(
    ("mask", "fits"),
    [("2547 ***** 126", "254712345126"), ("25470****149", "254708374149")],
)
def test_a_masked_msisdn_fits_numbers_with_the_same_visible_digits(mask: str, fits: str) -> None:
    payment = parse_c2b({**C2B_V2_MASKED, "MSISDN": mask})
    assert payment.msisdn_hint is not None
    assert msisdn_fits_hint(fits, payment.msisdn_hint)
    assert not msisdn_fits_hint("254799999999", payment.msisdn_hint)


def test_a_real_c2b_msisdn_is_normalised_and_hinted_masked() -> None:
    payment = parse_c2b({**C2B_V2_MASKED, "MSISDN": 254708374149})
    assert payment.msisdn == "254708374149"
    assert payment.msisdn_hint == "2547******49"


def test_a_c2b_receipt_is_upper_cased() -> None:
    assert parse_c2b({**C2B_V2_MASKED, "TransID": "rkl51zdr4f"}).receipt == "RKL51ZDR4F"


# --- Malformed bodies ---------------------------------------------------------------------


def test_an_stk_callback_without_a_body_names_the_body() -> None:
    with pytest.raises(MalformedCallback, match="Body: missing") as refused:
        parse_stk_callback({"stkCallback": {}})
    assert refused.value.field == "Body"


def test_an_stk_callback_that_is_not_an_object_is_malformed() -> None:
    with pytest.raises(MalformedCallback, match=r"Body\.stkCallback: not an object"):
        parse_stk_callback({"Body": {"stkCallback": ["not", "an", "object"]}})


def test_an_stk_amount_of_abc_names_the_amount_item() -> None:
    body = copy.deepcopy(STK_SUCCESS)
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][0]["Value"] = "abc"
    with pytest.raises(MalformedCallback, match=r"CallbackMetadata\[Amount\]: not an amount"):
        parse_stk_callback(body)


def test_a_c2b_amount_of_abc_names_trans_amount() -> None:
    with pytest.raises(MalformedCallback, match="TransAmount: not an amount"):
        parse_c2b({**C2B_V2_MASKED, "TransAmount": "abc"})


def test_an_impossible_trans_time_names_trans_time() -> None:
    with pytest.raises(MalformedCallback, match="TransTime"):
        parse_c2b({**C2B_V2_MASKED, "TransTime": "2023-13-45"})
    with pytest.raises(MalformedCallback, match="TransTime: not a real date"):
        parse_c2b({**C2B_V2_MASKED, "TransTime": "20231345121325"})


@pytest.mark.parametrize("trans_id", ["", None, "   "])
def test_a_c2b_payment_without_a_receipt_is_malformed(trans_id: str | None) -> None:
    with pytest.raises(MalformedCallback, match="TransID: missing"):
        parse_c2b({**C2B_V2_MASKED, "TransID": trans_id})


def test_a_c2b_receipt_with_punctuation_is_malformed() -> None:
    with pytest.raises(MalformedCallback, match="TransID"):
        parse_c2b({**C2B_V2_MASKED, "TransID": "RKL5-1ZDR4"})


def test_a_c2b_body_that_is_a_list_is_malformed() -> None:
    with pytest.raises(MalformedCallback, match="body: not an object"):
        parse_c2b([C2B_V2_MASKED])


def test_an_stk_item_without_a_name_is_malformed() -> None:
    body = copy.deepcopy(STK_SUCCESS)
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][1] = {"Value": "NLJ7RT61SV"}
    with pytest.raises(MalformedCallback, match=r"Item\[1\]\.Name: missing"):
        parse_stk_callback(body)


def test_an_absurdly_long_item_list_is_refused() -> None:
    body = copy.deepcopy(STK_SUCCESS)
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"] = [{"Name": "Balance"}] * 201
    with pytest.raises(MalformedCallback, match="more than 200 items"):
        parse_stk_callback(body)


def test_a_refused_msisdn_is_never_echoed_in_the_error() -> None:
    body = copy.deepcopy(STK_SUCCESS)
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][4]["Value"] = ["254708374149"]
    with pytest.raises(MalformedCallback) as refused:
        parse_stk_callback(body)
    assert "PhoneNumber" in str(refused.value)
    assert "708374149" not in str(refused.value)


# --- Amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cents"),
    [
        (1, 100),
        (1.0, 100),
        ("5.00", 500),
        (41500.0, 4_150_000),
        ("1,131,340.00", 113_134_000),
        (8959269.60, 895_926_960),
        (" 12 345.67 ", 1_234_567),
        ("12.5", 1250),
        ("1.000", 100),
        ("0", 0),
    ],
)
def test_every_way_daraja_writes_an_amount_is_exact_cents(raw: object, cents: int) -> None:
    assert amount_minor(raw, "Amount") == cents


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("abc", "not an amount"),
        ("1,5", "not an amount"),
        ("1.005", "more than 2 decimal places"),
        (0.1 + 0.2, "more than 2 decimal places"),
        ("NaN", "not an amount"),
        (float("nan"), "not a finite amount"),
        (float("inf"), "not a finite amount"),
        ("-5.00", "negative amount"),
        (-1, "negative amount"),
        (True, "not an amount"),
        ([1], "not an amount"),
        ("", "missing"),
        (None, "missing"),
        ("1" * 30, "amount out of range"),
        ("1." + "0" * 29 + "1", "more than 2 decimal places"),
    ],
)
def test_an_amount_that_is_not_exact_money_is_refused(raw: object, problem: str) -> None:
    with pytest.raises(MalformedCallback, match=f"Amount: {problem}"):
        amount_minor(raw, "Amount")


def test_a_balance_may_be_negative() -> None:
    assert balance_minor(-1980.00, "Balance") == -198_000
    assert balance_minor("-1,540.00", "Balance") == -154_000


def _as_daraja_might(cents: int, style: str) -> object:
    shillings, fraction = divmod(cents, 100)
    if style == "int" and fraction == 0:
        return shillings
    if style == "float":
        return cents / 100  # division is correctly rounded: the float nearest "12345.67"
    if style == "thousands":
        return f"{shillings:,}.{fraction:02d}"
    if style == "spaces":
        return f"  {shillings:,}.{fraction:02d} ".replace(",", " ")
    return f"{shillings}.{fraction:02d}"


@given(
    cents=st.integers(min_value=0, max_value=10**11),
    style=st.sampled_from(["int", "float", "thousands", "spaces", "plain"]),
)
def test_any_amount_rendered_as_daraja_might_parses_back_to_the_same_cents(
    cents: int, style: str
) -> None:
    assert amount_minor(_as_daraja_might(cents, style), "Amount") == cents


@given(halves=st.integers(min_value=0, max_value=2 * 10**9))
def test_whole_and_half_shilling_floats_parse_back_exactly(halves: int) -> None:
    assert amount_minor(halves / 2, "Amount") == halves * 50


# --- Natural keys and answers -------------------------------------------------------------


def test_each_inbound_kind_has_its_natural_key() -> None:
    assert natural_key(CallbackKind.STK, STK_SUCCESS) == "ws_CO_191220191020363925"
    assert natural_key("c2b_confirmation", C2B_V2_MASKED) == "RKL51ZDR4F"
    assert natural_key(CallbackKind.C2B_VALIDATION, C2B_V2_MASKED) == "RKL51ZDR4F"


def test_a_natural_key_is_found_even_when_the_rest_of_the_body_is_broken() -> None:
    body = copy.deepcopy(STK_SUCCESS)
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][0]["Value"] = "abc"
    assert natural_key(CallbackKind.STK, body) == "ws_CO_191220191020363925"


def test_a_missing_natural_key_is_malformed() -> None:
    with pytest.raises(MalformedCallback, match="CheckoutRequestID"):
        natural_key(CallbackKind.STK, {"Body": {"stkCallback": {"ResultCode": 0}}})
    with pytest.raises(MalformedCallback, match="TransID"):
        natural_key(CallbackKind.C2B_CONFIRMATION, {**C2B_V2_MASKED, "TransID": ""})


def test_the_answers_daraja_expects() -> None:
    assert stk_ack() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert c2b_validation_accept() == {"ResultCode": "0", "ResultDesc": "Accepted"}
    assert c2b_validation_accept("LN-42") == {
        "ResultCode": "0",
        "ResultDesc": "Accepted",
        "ThirdPartyTransID": "LN-42",
    }
    assert c2b_validation_reject(C2BRejection.INVALID_ACCOUNT_NUMBER) == {
        "ResultCode": "C2B00012",
        "ResultDesc": "Rejected",
    }
    assert c2b_confirmation_ack() == {"ResultCode": 0, "ResultDesc": "Success"}
    assert result_ack() == {"ResultCode": 0, "ResultDesc": "Accepted"}


def test_the_rejection_codes_are_c2b00011_to_c2b00016() -> None:
    assert [reason.value for reason in C2BRejection] == [f"C2B0001{n}" for n in range(1, 7)]


def test_each_answer_is_a_fresh_dict() -> None:
    answer = stk_ack()
    answer["ResultCode"] = 1
    assert stk_ack()["ResultCode"] == 0
