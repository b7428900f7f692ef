"""Callback bodies at rest: no full phone number or payer name anywhere, whatever the shape,
and the parsers still read what processing and reconciliation need (receipts, amounts, the
masked hint, the keyed hash a paybill payment to a phone number is matched by)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from integrations.mpesa.callbacks import parse_c2b, parse_stk_callback
from integrations.mpesa.redaction import (
    msisdn_index_in,
    redact_document,
    redact_raw_text,
    visible,
)
from integrations.mpesa.results import b2c_result, parse_result

FULL_NUMBER = re.compile(r"(?<![0-9])(?:\+?254|0)[17][0-9]{8}(?![0-9])")


def keyed(kind: str, value: str) -> str:
    return hmac.new(b"k" * 32, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


phones = st.builds(
    lambda prefix, range_digit, rest: f"{prefix}{range_digit}{rest:08d}",
    st.sampled_from(["254", "+254", "0"]),
    st.sampled_from(["7", "1"]),
    st.integers(0, 10**8 - 1),
)
texts_with_phones = st.builds(
    lambda before, phone, after: f"{before}{phone}{after}",
    st.text(alphabet="ab -:", max_size=5),
    phones,
    st.text(alphabet="ab -:", max_size=5),
)
leaves = st.none() | st.integers() | st.text(max_size=10) | texts_with_phones | phones
documents = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["MSISDN", "FirstName", "Key", "Value", "x"]), inner)
    ),
    max_leaves=10,
)


@pytest.mark.slow  # 300 Hypothesis examples: 1.5 s
@settings(max_examples=300, deadline=None)
@given(documents)
@example("254140539455")  # its keyed hash in hex held "0705668121", a number to any scanner
def test_no_full_number_survives_and_redacting_again_changes_nothing(document: object) -> None:
    once = redact_document(document, keyed)
    assert FULL_NUMBER.search(json.dumps(once)) is None
    assert redact_document(once, keyed) == once
    as_text = redact_raw_text(json.dumps(document), keyed)
    assert FULL_NUMBER.search(as_text) is None


def test_a_c2b_confirmation_keeps_receipt_amount_and_a_matchable_phone() -> None:
    body = {
        "TransID": "RKL51ZDR4F",
        "TransTime": "20231121121325",
        "TransAmount": "20.00",
        "BusinessShortCode": "600000",
        "BillRefNumber": "0712 345678",
        "MSISDN": "254712345678",
        "FirstName": "ATIENO",
        "LastName": "AWUOR",
    }
    redacted = redact_document(body, keyed)
    text = json.dumps(redacted)
    for secret in ("712345678", "ATIENO", "AWUOR"):
        assert secret not in text
    payment = parse_c2b(redacted)
    assert (payment.receipt, payment.amount_minor) == ("RKL51ZDR4F", 2000)
    assert payment.msisdn_hint == "2547******78"
    assert payment.account_reference is not None
    assert msisdn_index_in(payment.account_reference) == keyed("msisdn", "254712345678")
    assert visible(payment.account_reference) == "2547******78"


def test_stk_phone_and_b2c_receiver_name_are_gone_and_the_rest_parses() -> None:
    stk = {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "1",
                "CheckoutRequestID": "ws_CO_1",
                "ResultCode": 0,
                "ResultDesc": "ok",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": 20},
                        {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                        {"Name": "PhoneNumber", "Value": 254708374149},
                    ]
                },
            }
        }
    }
    result = parse_stk_callback(redact_document(stk, keyed))
    assert (result.receipt, result.amount_minor, result.phone) == ("NLJ7RT61SV", 2000, None)
    assert result.phone_hint == "2547******49"
    b2c = {
        "Result": {
            "ResultType": 0,
            "ResultCode": 0,
            "ResultDesc": "ok",
            "OriginatorConversationID": "o-1",
            "ConversationID": "AG_1",
            "TransactionID": "SG632NMUAB",
            "ResultParameters": {
                "ResultParameter": [
                    {"Key": "TransactionReceipt", "Value": "SG632NMUAB"},
                    {"Key": "ReceiverPartyPublicName", "Value": "254708374149 - JOHN DOE"},
                    {"Key": "DebitPartyName", "Value": "600000 - Mkopo Fund"},
                ]
            },
        }
    }
    redacted = redact_document(b2c, keyed)
    text = json.dumps(redacted)
    assert "708374149" not in text
    assert "JOHN DOE" not in text
    assert "600000 - Mkopo Fund" in text  # an organisation is not a person
    assert b2c_result(parse_result(redacted)).receipt == "SG632NMUAB"


def test_without_field_keys_only_the_mask_is_kept() -> None:
    assert redact_document({"MSISDN": "0712345678", "FirstName": "A"}, None) == {
        "MSISDN": "2547******78",
        "FirstName": "~",
    }


def test_a_token_holds_no_digit_after_its_mask_and_still_yields_the_blind_index() -> None:
    token = redact_document("254140539455", keyed)
    assert isinstance(token, str)
    mask, _, hashed = token.partition("~")
    assert mask == "2541******55"
    assert hashed.isalpha()
    assert msisdn_index_in(token) == keyed("msisdn", "254140539455")
