"""The Airtel client against a scripted fake Airtel: what it sends (9-digit numbers, whole
shillings, headers, the PIN encrypted, v2 signatures) and its retry policy (a token refused ->
one refresh; throttling and connect errors -> backoff under the same id; a lost answer ->
UNKNOWN, sent once; never a new id)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from integrations.airtel.client import InvalidAirtelField
from integrations.airtel.config import RsaPadding
from integrations.airtel.crypto import compact_json, signature
from integrations.airtel.transport import AirtelNotSent, AirtelThrottled
from integrations.payments.amounts import AmountOutOfRange, NotWholeShillings
from integrations.payments.port import CollectionOrder, PayoutOrder, ReversalOrder, Submission
from tests.support.airtel import KEYS, PHONE, PIN, FakeAirtel, answer, client
from tests.support.clock import FrozenClock

DISBURSE = "/standard/v2/disbursements/"


def payout(amount_minor: int = 150_000, originator_id: str = "payout1") -> PayoutOrder:
    return PayoutOrder(originator_id, PHONE, amount_minor, "Mkopo loan")


@pytest.fixture
def fake() -> FakeAirtel:
    return FakeAirtel()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.mark.parametrize("padding", list(RsaPadding))
def test_a_payout_sends_nine_digits_whole_shillings_and_the_pin_encrypted(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float], padding: RsaPadding
) -> None:
    result = client(fake, clock, sleeps, rsa_padding=padding).submit_payout(payout())
    assert result.submission is Submission.ACCEPTED
    assert result.provider_ref == "CI1"
    [request] = fake.calls
    body = json.loads(request.content)
    assert request.url.path == DISBURSE
    assert body["payee"] == {"msisdn": "733123456", "wallet_type": "NORMAL", "currency": "KES"}
    assert body["transaction"] == {"amount": 1500, "id": "payout1", "type": "B2C"}
    assert body["reference"] == "Mkopoloan"
    assert KEYS.decrypt(body["pin"], padding) == PIN.encode()
    assert PIN not in request.content.decode()
    assert request.headers["X-Country"] == "KE"
    assert request.headers["X-Currency"] == "KES"
    assert request.headers["Authorization"] == "Bearer tok1"


def test_a_signed_collection_goes_to_v2_and_its_signature_opens_to_the_body(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    fake.default = answer(True, "DP00800001006", transaction={"id": False, "status": "SUCCESS"})
    order = CollectionOrder("col1", "0733 123 456", 20_000, "LN00421")
    result = client(fake, clock, sleeps, sign_collections=True).request_collection(order)
    assert result.submission is Submission.ACCEPTED
    assert result.checkout_id == "col1"
    [request] = fake.calls
    assert request.url.path == "/merchant/v2/payments/"
    opened = KEYS.signed_body(
        request.headers["x-signature"], request.headers["x-key"], RsaPadding.PKCS1V15
    )
    assert opened == request.content
    body = json.loads(request.content)
    assert body["subscriber"] == {"country": "KE", "currency": "KES", "msisdn": "733123456"}
    assert body["transaction"] == {"amount": 200, "country": "KE", "currency": "KES", "id": "col1"}


def test_an_unsigned_collection_goes_to_v1_without_signature_headers(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    fake.default = answer(True, "DP00800001006")
    client(fake, clock, sleeps).request_collection(CollectionOrder("c1", PHONE, 1000, "LN0042"))
    [request] = fake.calls
    assert request.url.path == "/merchant/v1/payments/"
    assert "x-signature" not in request.headers


def test_the_signature_matches_121_platforms_published_vector() -> None:
    payload = {
        "reference": "1234",
        "subscriber": {"country": "UG", "currency": "UGX", "msisdn": "752604392"},
        "transaction": {"amount": "100", "country": "UG", "currency": "UGX", "id": "test_id "},
    }
    key = base64.b64decode("PSw37xtnShLl7zgWn4dLSnf1J5GRhRsOD4OfvJOuLIM=")
    iv = base64.b64decode("gGIhDvCBnSBhBgYiXCyMnw==")
    assert signature(compact_json(payload), key, iv) == (
        "bDOsVGZzbK0P5jO/M5QVMH/qxSmRJLEvIPZCdW6H81xvsZNI6jZej54oBQlHZ38yy63QNeyyYcfEkGJ8f3f15wHWs"
        "86V9BCIpHSesS3SrhozE/gGA1fLydeSS26mw0jhyt9XIpabk1RjDH59SfsrkHKU38I5mRlthG/t2qXJck0FhNR6"
        "4bgOExm9CsuxUlfpsSoW1g81g1u5a4yMFIHhp77f+h3EXNHzcEsdSWhqTho="
    )


def test_enquiries_name_our_id_and_the_b2c_type(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    airtel = client(fake, clock, sleeps)
    airtel.query_payout("payout1")
    airtel.query_collection("col1")
    assert [str(c.url) for c in fake.calls] == [
        "https://openapiuat.airtel.test/standard/v2/disbursements/payout1?transactionType=B2C",
        "https://openapiuat.airtel.test/standard/v1/payments/col1",
    ]


def test_one_token_is_shared_and_refreshed_at_90_percent_of_its_180_seconds(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    airtel = client(fake, clock, sleeps)
    airtel.query_payout("p1")
    clock.advance(seconds=161)
    airtel.query_payout("p1")
    clock.advance(seconds=1)
    airtel.query_payout("p1")
    assert fake.bearers() == ["Bearer tok1", "Bearer tok1", "Bearer tok2"]


def test_a_refused_token_is_refreshed_once_and_the_payout_sent_once_more_same_id(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    fake.script = [httpx.Response(401, json={"error": "invalid_token"})]
    assert client(fake, clock, sleeps).submit_payout(payout()).submission is Submission.ACCEPTED
    assert fake.bearers() == ["Bearer tok1", "Bearer tok2"]
    assert [b["transaction"]["id"] for b in fake.bodies()] == ["payout1", "payout1"]


def test_a_token_refused_twice_is_a_rejection(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    refused = httpx.Response(401, json={"error": "invalid_token"})
    fake.script = [refused, refused]
    result = client(fake, clock, sleeps).submit_payout(payout())
    assert result.submission is Submission.REJECTED
    assert len(fake.calls) == 2


def test_throttling_backs_off_and_resends_under_the_same_id_then_gives_up(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    throttled = httpx.Response(429, json={"error": "too_many_requests"})
    fake.script = [throttled, throttled]
    assert client(fake, clock, sleeps).submit_payout(payout()).submission is Submission.ACCEPTED
    assert sleeps == [0.375, 0.75]
    fake.script = [throttled] * 3
    with pytest.raises(AirtelThrottled):
        client(fake, clock, sleeps).submit_payout(payout())


def test_a_payout_that_never_left_is_retried_with_the_same_id_then_not_sent(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    fake.script = [httpx.ConnectError, httpx.ConnectTimeout]
    assert client(fake, clock, sleeps).submit_payout(payout()).submission is Submission.ACCEPTED
    assert {b["transaction"]["id"] for b in fake.bodies()} == {"payout1"}
    fake.script = [httpx.ConnectError] * 3
    with pytest.raises(AirtelNotSent):
        client(fake, clock, sleeps).submit_payout(payout())


@pytest.mark.parametrize(
    "step", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.Response(502, text="<html/>")]
)
def test_a_payout_whose_answer_is_lost_is_unknown_and_sent_once(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float], step: object
) -> None:
    fake.script = [step]  # type: ignore[list-item]
    assert client(fake, clock, sleeps).submit_payout(payout()).submission is Submission.UNKNOWN
    assert len(fake.calls) == 1


def test_a_collection_whose_answer_is_lost_is_unknown_under_its_own_id(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    fake.script = [httpx.ReadTimeout]
    order = CollectionOrder("col9", PHONE, 20_000, "LN00421")
    result = client(fake, clock, sleeps).request_collection(order)
    assert (result.submission, result.checkout_id) == (Submission.UNKNOWN, "col9")
    assert len(fake.calls) == 1


def test_the_port_queries_answer_none_when_airtel_is_unreachable(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    fake.script = [httpx.ConnectError] * 3 + [httpx.ReadTimeout]
    airtel = client(fake, clock, sleeps)
    assert airtel.query_payout("p1") is None
    assert airtel.query_collection("c1") is None


@pytest.mark.parametrize(
    ("amount_minor", "error"),
    [(150_050, NotWholeShillings), (900, AmountOutOfRange), (15_000_100, AmountOutOfRange)],
)
def test_amounts_outside_whole_kes_10_to_150000_are_refused_before_sending(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float], amount_minor: int, error: type
) -> None:
    with pytest.raises(error):
        client(fake, clock, sleeps).submit_payout(payout(amount_minor))
    assert fake.calls == []


@pytest.mark.parametrize("originator_id", ["pay-out-1", "", "x" * 65, "payé"])
def test_an_id_airtel_would_refuse_is_refused_before_sending(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float], originator_id: str
) -> None:
    with pytest.raises(InvalidAirtelField):
        client(fake, clock, sleeps).submit_payout(payout(originator_id=originator_id))
    assert fake.calls == []


def test_a_refund_refused_for_a_payment_already_reversed_is_accepted(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    fake.script = [
        answer(False, None, "ESB000011"),
        answer(True, "DP00800001001", transaction={"id": "col1", "status": "TR"}),
    ]
    order = ReversalOrder("CI5", 20_000, "Paid twice", payment_ref="col1")
    result = client(fake, clock, sleeps).request_reversal(order)
    assert result.submission is Submission.ACCEPTED
    assert json.loads(fake.calls[0].content) == {"transaction": {"airtel_money_id": "CI5"}}


def test_a_refund_refused_for_a_payment_that_stands_is_rejected(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    fake.script = [
        answer(False, None, "ESB000011"),
        answer(True, "DP00800001001", transaction={"id": "col1", "status": "TS"}),
    ]
    order = ReversalOrder("CI5", 20_000, "Paid twice", payment_ref="col1")
    assert client(fake, clock, sleeps).request_reversal(order).submission is Submission.REJECTED


def test_without_our_id_a_refund_cannot_be_enquired(
    fake: FakeAirtel, clock: FrozenClock, sleeps: list[float]
) -> None:
    assert client(fake, clock, sleeps).query_reversal(ReversalOrder("CI5", 1, "x")) is None
    assert fake.calls == []


def test_secrets_stay_out_of_the_config_repr() -> None:
    from tests.support.airtel import config

    shown = repr(config(callback_secret="cb-secret"))
    for secret in ("client-secret-xyz", PIN, "cb-token", "cb-secret"):
        assert secret not in shown
