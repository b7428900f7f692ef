"""The Daraja client against a scripted fake Daraja (``httpx.MockTransport``, no network).

The retry policy is the point: a token refused -> one refresh and one resend, for every API;
throttling -> backoff for the calls safe to repeat; an STK push is never sent twice; a B2C that
may have arrived is UNKNOWN, never re-sent under a new id.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from integrations.http_retry import RetryPolicy
from integrations.mpesa.client import (
    CALLBACK_KINDS,
    DarajaClient,
    DarajaConfig,
    DarajaNoAnswer,
    DarajaNotSent,
    DarajaRefused,
    DarajaThrottled,
    DarajaUnavailable,
    FieldLengthError,
    RequestAck,
    StkState,
)
from integrations.mpesa.credentials import stk_password
from integrations.mpesa.token_cache import (
    FileTokenStore,
    InProcessTokenStore,
    TokenCache,
    TokenStore,
    TokenUnavailable,
)
from integrations.payments.amounts import NotWholeShillings
from integrations.payments.port import CollectionOrder, PayoutOrder, Submission
from tests.support.clock import FrozenClock

BASE_URL = "https://daraja.test"
OAUTH = "/oauth/v1/generate"
B2C = "/mpesa/b2c/v3/paymentrequest"
STK = "/mpesa/stkpush/v1/processrequest"
STK_QUERY = "/mpesa/stkpushquery/v1/query"
STATUS = "/mpesa/transactionstatus/v1/query"
BALANCE = "/mpesa/accountbalance/v1/query"
REVERSAL = "/mpesa/reversal/v1/request"
REGISTER = "/mpesa/c2b/v2/registerurl"
PHONE = "254712345678"
SECRETS = ("consumer-secret-xyz", "passkey-abc", "initiator-pw-1#", "cb-token-42")

B2C_OK = {
    "ConversationID": "AG_20260302_0000aaaaaaaaaaaaaaaa",
    "OriginatorConversationID": "payout-1",
    "ResponseCode": "0",
    "ResponseDescription": "Accept the service request successfully.",
}
STK_OK = {
    "MerchantRequestID": "f1e2-4b95-a71d-b30d3cdbb7a7942864",
    "CheckoutRequestID": "ws_CO_02032026100000123712345678",
    "ResponseCode": "0",
    "ResponseDescription": "Success. Request accepted for processing",
    "CustomerMessage": "Success. Request accepted for processing",
}


def envelope(code: str, message: str) -> dict[str, str]:
    return {"requestId": "1c5b-4ba8-815c", "errorCode": code, "errorMessage": message}


THROTTLED = httpx.Response(
    500, json=envelope("500.003.02", "Error Occurred: Spike Arrest Violation")
)
QUOTA = httpx.Response(500, json=envelope("500.003.03", "Quota Violation"))

Step = httpx.Response | type[httpx.TransportError]


class FakeDaraja:
    """Issues tokens tok1, tok2...; answers API calls from a script, then with ``default``."""

    def __init__(self, default: dict[str, Any] | None = None, expires_in: object = "3599") -> None:
        self.default = default if default is not None else B2C_OK
        self.expires_in = expires_in
        self.script: list[Step] = []
        self.tokens_issued = 0
        self.calls: list[httpx.Request] = []
        self.oauth_delay_s = 0.0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == OAUTH:
            return self._oauth(request)
        with self._lock:
            self.calls.append(request)
            step = self.script.pop(0) if self.script else httpx.Response(200, json=self.default)
        if isinstance(step, httpx.Response):
            return step
        raise step("scripted fault", request=request)

    def _oauth(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "GET"
        assert request.url.params["grant_type"] == "client_credentials"
        expected = base64.b64encode(b"consumer-key:consumer-secret-xyz").decode()
        assert request.headers["Authorization"] == f"Basic {expected}"
        time.sleep(self.oauth_delay_s)  # lets concurrent refreshes overlap
        with self._lock:
            self.tokens_issued += 1
            token = f"tok{self.tokens_issued}"
        return httpx.Response(200, json={"access_token": token, "expires_in": self.expires_in})

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(call.content) for call in self.calls]

    def bearers(self) -> list[str]:
        return [call.headers["Authorization"] for call in self.calls]


@pytest.fixture(scope="module")
def cert_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sim.apicrypt.local")])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def config(cert_pem: bytes) -> DarajaConfig:
    return DarajaConfig(
        base_url=BASE_URL,
        consumer_key="consumer-key",
        consumer_secret="consumer-secret-xyz",
        shortcode="600992",
        passkey="passkey-abc",
        initiator_name="mkopo-api",
        initiator_password="initiator-pw-1#",
        cert_bytes=cert_pem,
        callback_base_url="https://fund.example/",
        callback_token="cb-token-42",
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))


@pytest.fixture
def daraja() -> FakeDaraja:
    return FakeDaraja()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(
    config: DarajaConfig, clock: FrozenClock, daraja: FakeDaraja, sleeps: list[float]
) -> DarajaClient:
    return DarajaClient(
        config,
        clock=clock,
        transport=httpx.MockTransport(daraja),
        retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0),
    )


def payout(
    msisdn: str = PHONE, amount_minor: int = 500_000, remarks: str = "Loan 42"
) -> PayoutOrder:
    return PayoutOrder("payout-1", msisdn, amount_minor, remarks)


# -- OAuth token ---------------------------------------------------------------------------


def test_one_token_is_fetched_and_shared_by_every_call(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    client.account_balance()
    client.submit_payout(payout())
    client.transaction_status(originator_id="payout-1")
    assert daraja.tokens_issued == 1
    assert daraja.bearers() == ["Bearer tok1"] * 3


@pytest.mark.parametrize("expires_in", ["3600", 3600])
def test_the_token_is_refreshed_at_90_percent_of_its_lifetime(
    config: DarajaConfig, clock: FrozenClock, expires_in: object
) -> None:
    daraja = FakeDaraja(expires_in=expires_in)
    client = DarajaClient(config, clock=clock, transport=httpx.MockTransport(daraja))
    client.account_balance()
    clock.advance(seconds=3239)  # 90% of 3600 s is 3240 s
    client.account_balance()
    assert daraja.tokens_issued == 1
    clock.advance(seconds=1)
    client.account_balance()
    assert daraja.tokens_issued == 2
    assert daraja.bearers() == ["Bearer tok1", "Bearer tok1", "Bearer tok2"]


def test_a_long_lived_token_is_still_refreshed_after_3300_seconds(clock: FrozenClock) -> None:
    daraja = FakeDaraja(expires_in="7200")
    cache = token_cache(daraja, InProcessTokenStore(), clock)
    assert cache.token() == "tok1"
    clock.advance(seconds=3299)
    assert cache.token() == "tok1"
    clock.advance(seconds=1)
    assert cache.token() == "tok2"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400, json=envelope("400.008.01", "Invalid Authentication passed")),
        httpx.Response(200, json={"access_token": "tok"}),
        httpx.Response(200, text="<html>busy</html>"),
    ],
)
def test_an_unusable_oauth_answer_is_token_unavailable(
    clock: FrozenClock, answer: httpx.Response
) -> None:
    http = httpx.Client(base_url=BASE_URL, transport=httpx.MockTransport(lambda _: answer))
    cache = TokenCache(
        http, consumer_key="k", consumer_secret="s", store=InProcessTokenStore(), clock=clock
    )
    with pytest.raises(TokenUnavailable):
        cache.token()


def token_cache(daraja: FakeDaraja, store: TokenStore, clock: FrozenClock) -> TokenCache:
    http = httpx.Client(base_url=BASE_URL, transport=httpx.MockTransport(daraja))
    return TokenCache(
        http,
        consumer_key="consumer-key",
        consumer_secret="consumer-secret-xyz",
        store=store,
        clock=clock,
    )


def run_together(workers: list[Callable[[], str]]) -> list[str]:
    barrier = threading.Barrier(len(workers))
    results: list[str] = [""] * len(workers)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = workers[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_eight_threads_needing_a_token_cause_one_fetch(clock: FrozenClock) -> None:
    daraja = FakeDaraja()
    daraja.oauth_delay_s = 0.1
    cache = token_cache(daraja, InProcessTokenStore(), clock)
    assert run_together([cache.token] * 8) == ["tok1"] * 8
    assert daraja.tokens_issued == 1


def test_two_processes_sharing_a_token_file_fetch_once(tmp_path: Path, clock: FrozenClock) -> None:
    # Two stores on one file stand for two worker processes: each has its own flock handle.
    daraja = FakeDaraja()
    daraja.oauth_delay_s = 0.1
    first = token_cache(daraja, FileTokenStore(tmp_path / "token.json"), clock)
    second = token_cache(daraja, FileTokenStore(tmp_path / "token.json"), clock)
    assert run_together([first.token, second.token] * 4) == ["tok1"] * 8
    assert daraja.tokens_issued == 1
    stored = json.loads((tmp_path / "token.json").read_text())
    assert stored["access_token"] == "tok1"
    assert datetime.fromisoformat(stored["refresh_at"]) == clock() + timedelta(seconds=3239)


def test_a_token_file_written_by_one_process_is_read_by_another(
    tmp_path: Path, clock: FrozenClock
) -> None:
    daraja = FakeDaraja()
    token_cache(daraja, FileTokenStore(tmp_path / "token.json"), clock).token()
    later = token_cache(daraja, FileTokenStore(tmp_path / "token.json"), clock)
    assert later.token() == "tok1"
    assert daraja.tokens_issued == 1
    assert (tmp_path / "token.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("shared", ["memory", "file"])
def test_eight_workers_refused_the_same_token_refresh_it_once(
    tmp_path: Path, clock: FrozenClock, shared: str
) -> None:
    daraja = FakeDaraja()
    daraja.oauth_delay_s = 0.05
    memory = InProcessTokenStore()

    def store() -> TokenStore:
        return memory if shared == "memory" else FileTokenStore(tmp_path / "token.json")

    caches = [token_cache(daraja, store(), clock) for _ in range(8)]
    assert caches[0].token() == "tok1"

    def refused_then_retry(cache: TokenCache) -> Callable[[], str]:
        def work() -> str:
            cache.invalidate("tok1")
            return cache.token()

        return work

    assert run_together([refused_then_retry(c) for c in caches]) == ["tok2"] * 8
    assert daraja.tokens_issued == 2


def test_invalidating_an_already_replaced_token_keeps_the_new_one(clock: FrozenClock) -> None:
    daraja = FakeDaraja()
    cache = token_cache(daraja, InProcessTokenStore(), clock)
    cache.token()
    cache.invalidate("tok1")
    assert cache.token() == "tok2"
    cache.invalidate("tok1")  # a late worker still holding tok1
    assert cache.token() == "tok2"
    assert daraja.tokens_issued == 2


# -- invalid token: one refresh and one resend, for every API family -------------------------

API_CALLS: dict[str, tuple[str, Callable[[DarajaClient], object]]] = {
    "stk": (STK, lambda c: c.stk_push(PHONE, 10_000, "LN0042")),
    "stk_query": (STK_QUERY, lambda c: c.stk_query("ws_CO_1")),
    "b2c": (B2C, lambda c: c.submit_payout(payout())),
    "status": (STATUS, lambda c: c.transaction_status(receipt="SKE52PAWR9")),
    "balance": (BALANCE, lambda c: c.account_balance()),
    "reversal": (REVERSAL, lambda c: c.reversal("SKE52PAWR9", 10_000, "Paid twice")),
    "register": (REGISTER, lambda c: c.register_c2b_urls("https://a/c", "https://a/v")),
}


@pytest.mark.parametrize(
    ("api", "refusal"),
    [
        ("stk", httpx.Response(404, json=envelope("404.001.03", "Invalid Access Token"))),
        ("stk_query", httpx.Response(404, json=envelope("404.001.03", "Invalid Access Token"))),
        ("reversal", httpx.Response(404, json=envelope("404.001.03", "Invalid Access Token"))),
        (
            "b2c",
            httpx.Response(
                401, json=envelope("401.002.01", "Error Occurred - Invalid Access Token - tok1")
            ),
        ),
        (
            "balance",
            httpx.Response(
                401, json=envelope("401.002.01", "Error Occurred - Invalid Access Token - tok1")
            ),
        ),
        ("register", httpx.Response(400, json=envelope("400.003.01", "Invalid Access Token"))),
        ("status", httpx.Response(400, json=envelope("400.003.01", "Invalid Access Token"))),
        ("b2c", httpx.Response(401, text="")),
    ],
)
def test_a_refused_token_is_refreshed_once_and_the_call_sent_once_more(
    config: DarajaConfig, clock: FrozenClock, api: str, refusal: httpx.Response
) -> None:
    path, call = API_CALLS[api]
    daraja = FakeDaraja(default=STK_OK if api == "stk" else B2C_OK)
    daraja.script = [refusal]
    client = DarajaClient(config, clock=clock, transport=httpx.MockTransport(daraja))
    call(client)
    assert [c.url.path for c in daraja.calls] == [path, path]
    assert daraja.bearers() == ["Bearer tok1", "Bearer tok2"]
    assert daraja.tokens_issued == 2


def test_a_token_refused_twice_is_a_rejection_after_one_refresh(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    refused = httpx.Response(
        401, json=envelope("401.002.01", "Error Occurred - Invalid Access Token - x")
    )
    daraja.script = [refused, refused]
    result = client.submit_payout(payout())
    assert result.submission is Submission.REJECTED
    assert result.code == "401.002.01"
    assert len(daraja.calls) == 2
    assert daraja.tokens_issued == 2


# -- throttling ------------------------------------------------------------------------------


def test_a_throttled_payout_backs_off_then_goes_through_under_the_same_id(
    client: DarajaClient, daraja: FakeDaraja, sleeps: list[float]
) -> None:
    daraja.script = [THROTTLED, QUOTA]
    result = client.submit_payout(payout())
    assert result.submission is Submission.ACCEPTED
    assert result.provider_ref == B2C_OK["ConversationID"]
    assert sleeps == [0.5, 1.0]  # exponential, jitter at its top
    assert {b["OriginatorConversationID"] for b in daraja.bodies()} == {"payout-1"}
    assert len(daraja.calls) == 3


def test_backoff_jitter_keeps_at_least_half_the_step(
    config: DarajaConfig, clock: FrozenClock, daraja: FakeDaraja, sleeps: list[float]
) -> None:
    client = DarajaClient(
        config,
        clock=clock,
        transport=httpx.MockTransport(daraja),
        retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 0.0),
    )
    daraja.script = [THROTTLED, THROTTLED]
    client.account_balance()
    assert sleeps == [0.25, 0.5]


def test_throttling_past_the_bound_raises_after_three_sends(
    client: DarajaClient, daraja: FakeDaraja, sleeps: list[float]
) -> None:
    daraja.script = [THROTTLED, THROTTLED, THROTTLED, THROTTLED]
    with pytest.raises(DarajaThrottled):
        client.submit_payout(payout())
    assert len(daraja.calls) == 3
    assert len(sleeps) == 2


def test_a_throttled_query_is_retried_too(
    client: DarajaClient, daraja: FakeDaraja, sleeps: list[float]
) -> None:
    daraja.script = [THROTTLED]
    assert client.transaction_status(originator_id="payout-1").accepted
    assert len(daraja.calls) == 2
    assert sleeps == [0.5]


def test_a_throttled_stk_push_is_rejected_not_repeated(
    client: DarajaClient, daraja: FakeDaraja, sleeps: list[float]
) -> None:
    daraja.script = [THROTTLED]
    result = client.stk_push(PHONE, 10_000, "LN0042")
    assert result.submission is Submission.REJECTED
    assert result.code == "500.003.02"
    assert len(daraja.calls) == 1
    assert sleeps == []


# -- lost answers and connect errors ---------------------------------------------------------


@pytest.mark.parametrize("fault", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
def test_a_payout_whose_answer_is_lost_is_unknown_and_sent_once(
    client: DarajaClient, daraja: FakeDaraja, fault: type[httpx.TransportError]
) -> None:
    daraja.script = [fault]
    result = client.submit_payout(payout())
    assert result.submission is Submission.UNKNOWN
    assert result.provider_ref is None
    assert len(daraja.calls) == 1


def test_a_gateway_error_page_after_sending_a_payout_is_unknown(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    daraja.script = [httpx.Response(504, text="<html>Gateway Timeout</html>")]
    assert client.submit_payout(payout()).submission is Submission.UNKNOWN
    assert len(daraja.calls) == 1


@pytest.mark.parametrize("fault", [httpx.ConnectError, httpx.ConnectTimeout])
def test_a_payout_that_never_left_is_retried_with_the_same_originator_id(
    client: DarajaClient, daraja: FakeDaraja, sleeps: list[float], fault: type[httpx.TransportError]
) -> None:
    daraja.script = [fault, fault]
    assert client.submit_payout(payout()).submission is Submission.ACCEPTED
    assert [b["OriginatorConversationID"] for b in daraja.bodies()] == ["payout-1"] * 3
    assert len(sleeps) == 2


def test_a_payout_that_never_left_after_three_tries_raises_not_sent(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    daraja.script = [httpx.ConnectError] * 3
    with pytest.raises(DarajaNotSent):
        client.submit_payout(payout())
    assert len(daraja.calls) == 3


def test_a_duplicate_originator_id_after_a_retry_means_the_first_arrived(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    daraja.script = [
        httpx.ConnectError,
        httpx.Response(500, json=envelope("500.002.1001", "Duplicate OriginatorConversationID")),
    ]
    result = client.submit_payout(payout())
    assert result.submission is Submission.ACCEPTED
    assert result.code == "500.002.1001"
    assert len(daraja.calls) == 2


def test_the_same_code_for_a_system_error_is_a_rejection(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    daraja.script = [httpx.Response(500, json=envelope("500.002.1001", "System internal error."))]
    result = client.submit_payout(payout())
    assert result.submission is Submission.REJECTED
    assert result.code == "500.002.1001"


@pytest.mark.parametrize(
    "fault", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError]
)
def test_an_stk_push_is_never_resent_when_its_answer_is_lost(
    client: DarajaClient, daraja: FakeDaraja, fault: type[httpx.TransportError]
) -> None:
    daraja.script = [fault]
    result = client.stk_push(PHONE, 10_000, "LN0042")
    assert result.submission is Submission.UNKNOWN
    assert result.checkout_id is None
    assert len(daraja.calls) == 1


def test_an_stk_push_that_never_left_is_rejected_as_not_sent(
    client: DarajaClient, daraja: FakeDaraja, sleeps: list[float]
) -> None:
    daraja.script = [httpx.ConnectError]
    result = client.stk_push(PHONE, 10_000, "LN0042")
    assert (result.submission, result.code) == (Submission.REJECTED, "not_sent")
    assert len(daraja.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize("api", ["stk_query", "status", "balance", "reversal", "register"])
def test_a_query_whose_answer_is_lost_raises_daraja_unavailable(
    client: DarajaClient, daraja: FakeDaraja, api: str
) -> None:
    daraja.script = [httpx.ReadTimeout]
    with pytest.raises(DarajaNoAnswer) as raised:
        API_CALLS[api][1](client)
    assert isinstance(raised.value, DarajaUnavailable)
    assert len(daraja.calls) == 1


def test_the_port_queries_answer_none_when_daraja_is_unreachable(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    daraja.script = [httpx.ReadTimeout, httpx.ReadTimeout]
    assert client.query_collection("ws_CO_1") is None
    assert client.query_payout("payout-1") is None


# -- synchronous answers ---------------------------------------------------------------------


def test_an_error_envelope_is_a_rejection_with_its_code(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    daraja.script = [
        httpx.Response(400, json=envelope("400.002.02", "Bad Request - Invalid PartyB"))
    ]
    result = client.submit_payout(payout())
    assert result.submission is Submission.REJECTED
    assert (result.code, result.reason) == ("400.002.02", "Bad Request - Invalid PartyB")
    assert len(daraja.calls) == 1


def test_a_non_zero_response_code_is_a_rejection(client: DarajaClient, daraja: FakeDaraja) -> None:
    daraja.script = [httpx.Response(200, json={"ResponseCode": "2001", "ResponseDescription": "x"})]
    assert client.submit_payout(payout()).submission is Submission.REJECTED


def test_an_accepted_stk_push_gives_its_checkout_id(
    config: DarajaConfig, clock: FrozenClock
) -> None:
    daraja = FakeDaraja(default=STK_OK)
    client = DarajaClient(config, clock=clock, transport=httpx.MockTransport(daraja))
    result = client.request_collection(CollectionOrder("col-1", "0712 345 678", 150_000, "LN0042"))
    assert result.submission is Submission.ACCEPTED
    assert result.checkout_id == STK_OK["CheckoutRequestID"]


# -- what is sent ----------------------------------------------------------------------------


def test_a_payout_is_sent_in_whole_shillings_to_a_normalised_number(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    client.submit_payout(payout(msisdn="+254 712-345-678", amount_minor=950_000))
    (body,) = daraja.bodies()
    assert body == {
        "OriginatorConversationID": "payout-1",
        "InitiatorName": "mkopo-api",
        "SecurityCredential": body["SecurityCredential"],
        "CommandID": "BusinessPayment",
        "Amount": "9500",
        "PartyA": "600992",
        "PartyB": PHONE,
        "Remarks": "Loan 42",
        "QueueTimeOutURL": "https://fund.example/callbacks/mpesa/cb-token-42/b2c/timeout",
        "ResultURL": "https://fund.example/callbacks/mpesa/cb-token-42/b2c/result",
    }
    assert len(body["SecurityCredential"]) == 344
    assert daraja.calls[0].headers["Content-Type"] == "application/json"


def test_an_stk_push_carries_the_nairobi_timestamp_and_its_password(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    client.stk_push("0712345678", 10_000, "LN0042")
    (body,) = daraja.bodies()
    assert body["Timestamp"] == "20260302100000"  # 07:00 UTC is 10:00 in Nairobi
    assert body["Password"] == stk_password("600992", "passkey-abc", "20260302100000")
    assert body["TransactionType"] == "CustomerPayBillOnline"
    assert (body["BusinessShortCode"], body["PartyB"]) == ("600992", "600992")
    assert (body["PartyA"], body["PhoneNumber"]) == (PHONE, PHONE)
    assert body["Amount"] == "100"
    assert body["AccountReference"] == "LN0042"
    assert body["TransactionDesc"] == "Repayment"
    assert body["CallBackURL"] == "https://fund.example/callbacks/mpesa/cb-token-42/stk"


def test_a_status_query_uses_original_conversation_id(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    client.transaction_status(originator_id="payout-1")
    (body,) = daraja.bodies()
    assert body["OriginalConversationID"] == "payout-1"
    assert "OriginatorConversationID" not in body
    assert "TransactionID" not in body
    assert (body["Initiator"], body["IdentifierType"]) == ("mkopo-api", "4")
    assert body["CommandID"] == "TransactionStatusQuery"
    assert body["ResultURL"].endswith("/status/result")


def test_a_status_query_needs_an_id_or_a_receipt(client: DarajaClient) -> None:
    with pytest.raises(ValueError, match="originator id or a receipt"):
        client.transaction_status()


def test_a_reversal_uses_safaricoms_receiver_spelling(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    ack = client.reversal("SKE52PAWR9", 20_000, "Paid twice")
    (body,) = daraja.bodies()
    assert body["RecieverIdentifierType"] == "11"
    assert (body["TransactionID"], body["Amount"], body["ReceiverParty"]) == (
        "SKE52PAWR9",
        "200",
        "600992",
    )
    assert ack == RequestAck(
        True,
        "0",
        "Accept the service request successfully.",
        B2C_OK["ConversationID"],
        "payout-1",
    )


def test_the_balance_query_names_our_shortcode(client: DarajaClient, daraja: FakeDaraja) -> None:
    client.account_balance()
    (body,) = daraja.bodies()
    assert (body["CommandID"], body["PartyA"], body["IdentifierType"]) == (
        "AccountBalance",
        "600992",
        "4",
    )


def test_c2b_urls_are_registered_on_v2(client: DarajaClient, daraja: FakeDaraja) -> None:
    daraja.script = [
        httpx.Response(
            200,
            json={
                "OriginatorCoversationID": "6e86-45dd",
                "ResponseCode": "0",
                "ResponseDescription": "Success",
            },
        )
    ]
    ack = client.register_c2b_urls(
        client.callback_url("c2b/confirmation"), client.callback_url("c2b/validation")
    )
    assert ack.accepted
    assert ack.originator_conversation_id == "6e86-45dd"
    assert daraja.calls[0].url.path == REGISTER
    (body,) = daraja.bodies()
    assert body["ResponseType"] == "Completed"
    assert body["ShortCode"] == "600992"
    assert body["ValidationURL"].endswith("/cb-token-42/c2b/validation")


def test_c2b_response_type_is_sentence_case_only(client: DarajaClient) -> None:
    with pytest.raises(ValueError, match="ResponseType"):
        client.register_c2b_urls("https://a/c", "https://a/v", "completed")


def test_every_callback_kind_has_a_url_under_the_secret_token(client: DarajaClient) -> None:
    urls = {client.callback_url(kind) for kind in CALLBACK_KINDS}
    assert len(urls) == 11
    assert all(u.startswith("https://fund.example/callbacks/mpesa/cb-token-42/") for u in urls)
    with pytest.raises(ValueError, match="unknown callback kind"):
        client.callback_url("b2c/results")


# -- refused before sending ------------------------------------------------------------------


def test_10050_cents_is_not_whole_shillings_and_nothing_is_sent(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    with pytest.raises(NotWholeShillings):
        client.submit_payout(payout(amount_minor=10_050))
    with pytest.raises(NotWholeShillings):
        client.stk_push(PHONE, 10_050, "LN0042")
    with pytest.raises(NotWholeShillings):
        client.reversal("SKE52PAWR9", 10_050, "Paid twice")
    assert daraja.calls == []
    assert daraja.tokens_issued == 0


@pytest.mark.parametrize(
    ("account_reference", "description", "ok"),
    [
        ("A" * 12, "D" * 13, True),
        ("A" * 13, "Repayment", False),
        ("", "Repayment", False),
        ("LN0042", "D" * 14, False),
        ("LN0042", "", False),
    ],
)
def test_stk_field_lengths_are_enforced_before_sending(
    client: DarajaClient, daraja: FakeDaraja, account_reference: str, description: str, ok: bool
) -> None:
    if ok:
        client.stk_push(PHONE, 10_000, account_reference, description)
        assert len(daraja.calls) == 1
    else:
        with pytest.raises(FieldLengthError):
            client.stk_push(PHONE, 10_000, account_reference, description)
        assert daraja.calls == []


@pytest.mark.parametrize(
    ("remarks", "ok"), [("ok", True), ("R" * 100, True), ("R", False), ("R" * 101, False)]
)
def test_payout_remarks_are_2_to_100_characters(
    client: DarajaClient, daraja: FakeDaraja, remarks: str, ok: bool
) -> None:
    if ok:
        client.submit_payout(payout(remarks=remarks))
        assert len(daraja.calls) == 1
    else:
        with pytest.raises(FieldLengthError):
            client.submit_payout(payout(remarks=remarks))
        assert daraja.calls == []


def test_a_payout_below_the_b2c_minimum_is_refused(client: DarajaClient) -> None:
    with pytest.raises(ValueError, match="KES 10"):
        client.submit_payout(payout(amount_minor=900))


def test_a_landline_is_refused_before_sending(client: DarajaClient, daraja: FakeDaraja) -> None:
    with pytest.raises(ValueError, match="Kenyan mobile"):
        client.submit_payout(payout(msisdn="0202345678"))
    assert daraja.calls == []


# -- STK query -------------------------------------------------------------------------------


def stk_query_answer(result_code: str, desc: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "ResponseCode": "0",
            "ResponseDescription": "The service request has been accepted successfully",
            "MerchantRequestID": "22205-34066-1",
            "CheckoutRequestID": "ws_CO_1",
            "ResultCode": result_code,
            "ResultDesc": desc,
        },
    )


def test_an_early_stk_query_is_pending_not_failed(client: DarajaClient, daraja: FakeDaraja) -> None:
    daraja.script = [
        httpx.Response(500, json=envelope("500.001.1001", "The transaction is being processed"))
    ]
    assert client.stk_query("ws_CO_1").state is StkState.PENDING
    daraja.script = [
        httpx.Response(500, json=envelope("500.001.1001", "The transaction is being processed"))
    ]
    assert client.query_collection("ws_CO_1") is None


def test_a_paid_stk_query_is_a_success_without_receipt(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    daraja.script = [stk_query_answer("0", "The service request is processed successfully.")]
    result = client.query_collection("ws_CO_1")
    assert result is not None
    assert (result.succeeded, result.receipt, result.code) == (True, None, "0")


def test_a_cancelled_stk_query_is_a_failure_with_its_code(
    client: DarajaClient, daraja: FakeDaraja
) -> None:
    daraja.script = [stk_query_answer("1032", "Request cancelled by user.")]
    result = client.stk_query("ws_CO_1")
    assert (result.state, result.code) == (StkState.FAILED, "1032")


def test_a_refused_stk_query_raises(client: DarajaClient, daraja: FakeDaraja) -> None:
    daraja.script = [
        httpx.Response(400, json=envelope("400.002.02", "Bad Request - Invalid CheckoutRequestID"))
    ]
    with pytest.raises(DarajaRefused) as refused:
        client.stk_query("nope")
    assert refused.value.code == "400.002.02"


# -- secrets and numbers stay out of logs ----------------------------------------------------


def test_logs_show_neither_full_numbers_nor_secrets(
    config: DarajaConfig,
    client: DarajaClient,
    daraja: FakeDaraja,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    daraja.script = [
        httpx.Response(401, json=envelope("401.002.01", "Invalid Access Token")),
        THROTTLED,
        httpx.ReadTimeout,
    ]
    client.submit_payout(payout())
    client.stk_push(PHONE, 10_000, "LN0042")
    client.stk_push(PHONE, 10_000, "LN0042")
    logged = caplog.text + repr(config)
    assert "2547******78" in caplog.text
    assert PHONE not in logged
    credential = daraja.bodies()[0]["SecurityCredential"]
    for secret in (*SECRETS, "tok1", "tok2", credential):
        assert secret not in logged


def test_every_request_carries_explicit_timeouts(client: DarajaClient, daraja: FakeDaraja) -> None:
    client.submit_payout(payout())
    assert daraja.calls[0].extensions["timeout"] == {
        "connect": 5.0,
        "read": 15.0,
        "write": 5.0,
        "pool": 5.0,
    }


def test_timeouts_are_configurable(
    config: DarajaConfig, clock: FrozenClock, daraja: FakeDaraja
) -> None:
    client = DarajaClient(
        config, clock=clock, transport=httpx.MockTransport(daraja), timeout=httpx.Timeout(2.0)
    )
    client.account_balance()
    assert daraja.calls[0].extensions["timeout"]["read"] == 2.0
