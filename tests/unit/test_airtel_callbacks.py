"""Airtel callbacks: read into the port's results, the optional hash checked in constant time
(switchable), the quirks of the sources absorbed, malformed bodies refused by name; and bodies
at rest redacted (no phone number in any form survives, ids stay, redacting twice changes
nothing)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.airtel.callbacks import (
    MalformedCallback,
    UnauthenticCallback,
    callback_hash,
    natural_key,
    parse_callback,
)
from integrations.airtel.redaction import redact_airtel_document, redact_airtel_raw_text
from integrations.redaction import msisdn_index_in

SECRET = "callback-secret"


def body(status: str = "TS", **changes: Any) -> dict[str, Any]:
    transaction = {
        "id": "payout1",
        "message": "Transaction is successful",
        "status_code": status,
        "airtel_money_id": "CI210104.1549.C00029",
    } | changes
    return {"transaction": transaction}


def signed(found: dict[str, Any], secret: str = SECRET) -> dict[str, Any]:
    return found | {"hash": callback_hash(found["transaction"], secret, ascii_only=True)}


def test_a_success_is_a_paid_payout_and_a_paid_collection() -> None:
    callback = parse_callback(body())
    payout = callback.to_payout_result()
    collection = callback.to_collection_result()
    assert payout is not None
    assert collection is not None
    assert (payout.originator_id, payout.succeeded, payout.receipt) == (
        "payout1",
        True,
        "CI210104.1549.C00029",
    )
    assert (collection.checkout_id, collection.succeeded) == ("payout1", True)


def test_a_failure_carries_its_message_and_no_receipt() -> None:
    result = parse_callback(body("TF", message="Insufficient funds")).to_payout_result()
    assert result is not None
    assert (result.succeeded, result.receipt, result.code) == (False, None, "TF")
    assert result.reason == "Insufficient funds"


@pytest.mark.parametrize("status", ["TIP", "TA", "TI", "PENDING"])
def test_a_status_that_is_not_final_is_no_result_yet(status: str) -> None:
    callback = parse_callback(body(status))
    assert callback.to_payout_result() is None
    assert callback.to_collection_result() is None


def test_a_reversed_payout_is_not_a_success() -> None:
    result = parse_callback(body("TR")).to_payout_result()
    assert result is not None
    assert not result.succeeded


@pytest.mark.parametrize(
    "quirk",
    [
        {"id": 12345},
        {"status_code": " ts "},
        {"airtel_money_id": None, "message": None},
        {"extra": {"nested": True}},
    ],
)
def test_the_sources_quirks_are_absorbed(quirk: dict[str, Any]) -> None:
    callback = parse_callback(body(**quirk))
    assert callback.status_code == "TS"


def test_status_instead_of_status_code_is_read() -> None:
    found = body()
    found["transaction"]["status"] = found["transaction"].pop("status_code")
    assert parse_callback(found).succeeded


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (None, "body"),
        ([], "body"),
        ({}, "transaction"),
        ({"transaction": "TS"}, "transaction"),
        (body(id=None), "transaction.id"),
        (body(id=True), "transaction.id"),
        (body(id="x" * 101), "transaction.id"),
        (body(status_code=None), "transaction.status_code"),
        (body(message=["a"]), "transaction.message"),
    ],
)
def test_a_malformed_body_is_refused_naming_the_field(bad: object, field: str) -> None:
    with pytest.raises(MalformedCallback) as refused:
        parse_callback(bad)
    assert refused.value.field == field


def test_a_valid_hash_is_accepted_and_marked_authenticated() -> None:
    assert parse_callback(signed(body()), secret=SECRET).authenticated


def test_the_utf8_serialisation_of_the_transaction_is_accepted_too() -> None:
    found = body(message="Malipo yamekamilika — asante")
    found["hash"] = callback_hash(found["transaction"], SECRET, ascii_only=False)
    assert parse_callback(found, secret=SECRET).authenticated


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b: b | {"hash": callback_hash(b["transaction"], "other-secret", ascii_only=True)},
        lambda b: {"transaction": b["transaction"]},
        lambda b: b | {"hash": ""},
        lambda b: b | {"hash": 42},
        lambda b: {"transaction": b["transaction"] | {"status_code": "TF"}, "hash": b["hash"]},
    ],
)
def test_a_wrong_or_missing_hash_is_refused_when_a_secret_is_set(tamper: Any) -> None:
    with pytest.raises(UnauthenticCallback):
        parse_callback(tamper(signed(body())), secret=SECRET)


def test_the_hash_check_can_be_switched_off() -> None:
    callback = parse_callback(body(), secret=SECRET, verify_hash=False)
    assert not callback.authenticated


def test_the_hash_is_base64_hmac_sha256_of_the_compact_transaction() -> None:
    transaction = body()["transaction"]
    message = json.dumps(transaction, separators=(",", ":")).encode()
    digest = hmac.new(SECRET.encode(), message, hashlib.sha256).digest()
    assert callback_hash(transaction, SECRET, ascii_only=True) == base64.b64encode(digest).decode()


def test_the_natural_key_is_the_id_and_status_so_a_final_status_follows_an_interim_one() -> None:
    assert natural_key(body("TIP")) == "payout1:TIP"
    assert natural_key(signed(body())) == natural_key(body()) == "payout1:TS"


# -- redaction -------------------------------------------------------------------------------

ANY_NUMBER = re.compile(r"(?<![0-9])(?:(?:\+?254|0)?[17][0-9]{8})(?![0-9])")


def keyed(kind: str, value: str) -> str:
    return hmac.new(b"k" * 32, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


phones = st.builds(
    lambda prefix, range_digit, rest: f"{prefix}{range_digit}{rest:08d}",
    st.sampled_from(["254", "+254", "0", ""]),
    st.sampled_from(["7", "1"]),
    st.integers(0, 10**8 - 1),
)


@settings(max_examples=200)
@given(phone=phones, before=st.text(alphabet="ab :-", max_size=4))
def test_no_number_in_any_form_survives_and_redacting_again_changes_nothing(
    phone: str, before: str
) -> None:
    document = {
        "subscriber": {"msisdn": phone.lstrip("+")[-9:]},
        "transaction": body(message=f"{before}{phone} paid")["transaction"],
    }
    once = redact_airtel_document(document, keyed)
    assert not ANY_NUMBER.search(json.dumps(once))
    assert redact_airtel_document(once, keyed) == once
    raw = redact_airtel_raw_text(json.dumps(document), keyed)
    assert not ANY_NUMBER.search(raw)


def test_ids_and_the_hash_stay_and_the_parser_still_reads_the_body() -> None:
    found = signed(body(id="a712345678b", airtel_money_id="712345678"))
    redacted = redact_airtel_document(found, keyed)
    assert isinstance(redacted, dict)
    assert redacted["transaction"]["id"] == "a712345678b"
    assert redacted["transaction"]["airtel_money_id"] == "712345678"
    assert redacted["hash"] == found["hash"]
    assert parse_callback(redacted, secret=SECRET).transaction_id == "a712345678b"


def test_a_redacted_msisdn_keeps_its_blind_index() -> None:
    redacted = redact_airtel_document({"payee": {"msisdn": "733123456"}}, keyed)
    assert isinstance(redacted, dict)
    token = redacted["payee"]["msisdn"]
    assert token.startswith("2547******56~")
    assert msisdn_index_in(token) == keyed("msisdn", "254733123456")
