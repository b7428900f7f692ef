"""The Daraja (Safaricom M-Pesa) HTTP client: B2C payouts, STK push collections, queries.

It implements ``integrations.payments.port.PaymentProvider``; Daraja's PascalCase JSON never
leaves this package: every method answers with the port's types or the small dataclasses below.

Retry policy (the invariant: a request that may have moved money is never sent twice under a
new identity, and an STK push is never sent twice at all):

- Invalid or expired token (HTTP 401, or an envelope whose ``errorMessage`` says "Invalid Access
  Token": 404.001.03 STK/reversal, 401.002.01 B2C/balance, 400.003.01 C2B/status): the gateway
  refused the call before it reached M-Pesa, so for EVERY API the token is invalidated (one
  refresh shared by all workers) and the call is sent once more. A second refusal is final.
- Throttling (500.003.02 spike arrest / system busy, 500.003.03 quota): exponential backoff
  with jitter, at most ``max_attempts`` sends in all, only for calls that are safe to repeat:
  B2C (Daraja refuses a second OriginatorConversationID), the queries, balance, reversal (a
  receipt is reversed once) and URL registration. Past the bound: ``DarajaThrottled``.
  An STK push is never repeated: a throttled push is REJECTED with the code.
- Connect errors (connect/pool timeout, refused connection: the request never left): the
  repeatable calls are retried under the same bound, B2C with the SAME OriginatorConversationID;
  past the bound, ``DarajaNotSent``. An STK push is not retried: REJECTED with ``not_sent``.
- Read timeout, dropped connection, or a 5xx without a JSON body after sending (it may have
  arrived): B2C -> ``Submission.UNKNOWN`` (the fund queries, or re-submits the same id); STK
  push -> ``Submission.UNKNOWN``; every other call raises ``DarajaNoAnswer``.
- Any other error envelope (``errorCode``/``errorMessage``) -> REJECTED with that code (the
  queries raise ``DarajaRefused``), except B2C "Duplicate OriginatorConversationID"
  (500.002.1001): an earlier send of this payout arrived, so it is ACCEPTED.
  ``ResponseCode`` "0" -> ACCEPTED, ``provider_ref`` = ConversationID / CheckoutRequestID.

``DarajaNotSent`` from ``submit_payout`` means nothing reached M-Pesa: the payout may be
re-submitted later under the same originator id. The port's query methods never raise for an
unreachable Daraja: they answer None ("no result yet, ask again").

Logs carry masked MSISDNs and no secrets (no token, password, credential or request body).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

import httpx

from integrations.bearer_calls import BearerCalls, CallFailures
from integrations.http_retry import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    RetryPolicy,
    json_object,
)
from integrations.mpesa.credentials import daraja_timestamp, security_credential, stk_password
from integrations.mpesa.token_cache import (
    InProcessTokenStore,
    TokenCache,
    TokenStore,
)
from integrations.payments import amounts
from integrations.payments.amounts import whole_shillings
from integrations.payments.port import (
    CollectionOrder,
    CollectionResult,
    CollectionSubmit,
    PayoutOrder,
    PayoutResult,
    ProviderNoAnswer,
    ProviderNotSent,
    ProviderUnavailable,
    ReversalOrder,
    ReversalOutcome,
    Submission,
    SubmitResult,
)
from integrations.phone import mask_msisdn, normalise_msisdn

logger = logging.getLogger(__name__)

B2C_PATH = "/mpesa/b2c/v3/paymentrequest"
STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"
TRANSACTION_STATUS_PATH = "/mpesa/transactionstatus/v1/query"
ACCOUNT_BALANCE_PATH = "/mpesa/accountbalance/v1/query"
REVERSAL_PATH = "/mpesa/reversal/v1/request"
C2B_REGISTER_PATH = "/mpesa/c2b/v2/registerurl"

CALLBACK_PATH_PREFIX = "/callbacks/mpesa"
"""SPEC's default. Safaricom refuses C2B URLs containing "mpesa" (reference §8.1), so a
production deployment sets its own (``DarajaConfig.callback_path_prefix``)."""
CALLBACK_KINDS: tuple[str, ...] = (
    "stk",
    "c2b/validation",
    "c2b/confirmation",
    "b2c/result",
    "b2c/timeout",
    "status/result",
    "status/timeout",
    "balance/result",
    "balance/timeout",
    "reversal/result",
    "reversal/timeout",
)
"""Every callback Daraja is told about: ``{base_url}{path_prefix}/{token}/{kind}``."""


B2C_MIN_KES, B2C_MAX_KES = 10, 250_000
STK_MIN_KES, STK_MAX_KES = 1, 250_000
REVERSAL_MIN_KES, REVERSAL_MAX_KES = 1, 250_000
REMARKS_MIN_CHARS, REMARKS_MAX_CHARS = 2, 100
ACCOUNT_REFERENCE_MAX_CHARS = 12
TRANSACTION_DESC_MAX_CHARS = 13
STK_TRANSACTION_DESC = "Repayment"
STATUS_REMARKS = "Status check"
BALANCE_REMARKS = "Balance check"
C2B_RESPONSE_TYPES = ("Completed", "Cancelled")
ORGANISATION_SHORTCODE = "4"  # IdentifierType of a shortcode in status and balance queries
REVERSAL_RECEIVER_TYPE = "11"

INVALID_TOKEN_CODES = frozenset({"404.001.03", "401.002.01", "400.003.01"})
INVALID_TOKEN_TEXT = "invalid access token"  # noqa: S105 (an error message, not a secret)
THROTTLED_CODES = frozenset({"500.003.02", "500.003.03"})
DUPLICATE_ORIGINATOR_CODE = "500.002.1001"
DUPLICATE_ORIGINATOR_TEXT = "duplicate originatorconversationid"
STK_PENDING_CODE = "500.001.1001"
STK_PENDING_TEXT = "being processed"
STK_PENDING_RESULT_CODES = frozenset({"4999"})  # "still under processing" on newer gateways
NOT_SENT_CODE = "not_sent"


class DarajaUnavailable(ProviderUnavailable):
    """Daraja gave no usable answer."""


class DarajaNotSent(DarajaUnavailable, ProviderNotSent):
    """Nothing reached M-Pesa (connect failures past the bound, or no token): safe to resend."""


class DarajaThrottled(DarajaNotSent):
    """Daraja kept refusing the call as throttled past the retry bound."""


class DarajaNoAnswer(DarajaUnavailable, ProviderNoAnswer):
    """The request may have arrived but no answer came back: query before anything else."""


class DarajaRefused(Exception):
    """Daraja refused a query synchronously."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


NotWholeShillings = amounts.NotWholeShillings
AmountOutOfRange = amounts.AmountOutOfRange
"""Both now live in ``integrations.payments.amounts``; kept here under their old names, which
callers import from this module."""


class FieldLengthError(ValueError):
    """A text field is shorter or longer than Daraja allows."""


@dataclass(frozen=True, slots=True)
class DarajaConfig:
    base_url: str
    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    shortcode: str
    passkey: str = field(repr=False)
    initiator_name: str
    initiator_password: str = field(repr=False)
    cert_bytes: bytes = field(repr=False)
    callback_base_url: str
    callback_token: str = field(repr=False)
    callback_path_prefix: str = CALLBACK_PATH_PREFIX


class StkState(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class StkQueryResult:
    checkout_id: str
    state: StkState
    code: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class RequestAck:
    """Daraja's synchronous answer to a request whose result comes later, by callback."""

    accepted: bool
    code: str
    reason: str
    conversation_id: str | None = None
    originator_conversation_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Reply:
    status_code: int
    body: dict[str, Any]

    def text(self, key: str) -> str | None:
        value = self.body.get(key)
        return None if value is None else str(value)

    @property
    def error_code(self) -> str | None:
        return self.text("errorCode")

    @property
    def error_message(self) -> str:
        return self.text("errorMessage") or ""

    @property
    def invalid_token(self) -> bool:
        return (
            self.status_code == httpx.codes.UNAUTHORIZED
            or self.error_code in INVALID_TOKEN_CODES
            or INVALID_TOKEN_TEXT in self.error_message.lower()
        )

    def outcome(self) -> tuple[Submission, str | None, str]:
        """Accepted, rejected or unknown, with Daraja's code and description."""
        if self.error_code is not None:
            return Submission.REJECTED, self.error_code, self.error_message
        code, reason = self.text("ResponseCode"), self.text("ResponseDescription") or ""
        if code == "0":
            return Submission.ACCEPTED, code, reason
        if code is not None:
            return Submission.REJECTED, code, reason
        if self.status_code >= httpx.codes.INTERNAL_SERVER_ERROR:
            return Submission.UNKNOWN, None, f"HTTP {self.status_code} without a ResponseCode"
        if self.status_code >= httpx.codes.BAD_REQUEST:
            return Submission.REJECTED, f"http_{self.status_code}", "refused without a code"
        return Submission.UNKNOWN, None, "answer without a ResponseCode"

    def ack(self) -> RequestAck:
        submission, code, reason = self.outcome()
        return RequestAck(
            accepted=submission is Submission.ACCEPTED,
            code=code or f"http_{self.status_code}",
            reason=reason,
            conversation_id=self.text("ConversationID"),
            # Safaricom spells it "OriginatorCoversationID" in the C2B registration answer.
            originator_conversation_id=self.text("OriginatorConversationID")
            or self.text("OriginatorCoversationID"),
        )


def bounded_text(name: str, value: str, min_chars: int, max_chars: int) -> str:
    if not min_chars <= len(value) <= max_chars:
        raise FieldLengthError(
            f"{name} must be {min_chars}..{max_chars} characters, got {len(value)}"
        )
    return value


def _reply(response: httpx.Response) -> _Reply:
    return _Reply(response.status_code, json_object(response, DarajaNoAnswer))


def _throttled(reply: _Reply) -> str | None:
    return reply.error_code if reply.error_code in THROTTLED_CODES else None


FAILURES = CallFailures(not_sent=DarajaNotSent, no_answer=DarajaNoAnswer, throttled=DarajaThrottled)


class DarajaClient:
    """Daraja over HTTP; one instance per process, sharing its token through ``token_store``."""

    def __init__(
        self,
        config: DarajaConfig,
        *,
        clock: Callable[[], datetime],
        token_store: TokenStore | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self._config = config
        self._clock = clock
        self._http = httpx.Client(base_url=config.base_url, timeout=timeout, transport=transport)
        tokens = TokenCache(
            self._http,
            consumer_key=config.consumer_key,
            consumer_secret=config.consumer_secret,
            store=token_store if token_store is not None else InProcessTokenStore(),
            clock=clock,
        )
        self._calls = BearerCalls(tokens, retry, FAILURES, _reply, _throttled)
        # Reusable across requests (Daraja FAQ); computed once so a bad certificate fails early.
        self._credential = security_credential(config.initiator_password, config.cert_bytes)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def callback_url(self, kind: str) -> str:
        if kind not in CALLBACK_KINDS:
            raise ValueError(f"unknown callback kind {kind!r}; one of {CALLBACK_KINDS}")
        base = self._config.callback_base_url.rstrip("/")
        prefix = self._config.callback_path_prefix
        return f"{base}{prefix}/{self._config.callback_token}/{kind}"

    # -- payouts (B2C) ---------------------------------------------------------------------

    def submit_payout(self, order: PayoutOrder) -> SubmitResult:
        amount_kes = whole_shillings(order.amount_minor, B2C_MIN_KES, B2C_MAX_KES)
        remarks = bounded_text("Remarks", order.remarks, REMARKS_MIN_CHARS, REMARKS_MAX_CHARS)
        msisdn = normalise_msisdn(order.msisdn)
        payload = {
            "OriginatorConversationID": order.originator_id,
            "InitiatorName": self._config.initiator_name,
            "SecurityCredential": self._credential,
            "CommandID": "BusinessPayment",
            "Amount": str(amount_kes),
            "PartyA": self._config.shortcode,
            "PartyB": msisdn,
            "Remarks": remarks,
            "QueueTimeOutURL": self.callback_url("b2c/timeout"),
            "ResultURL": self.callback_url("b2c/result"),
        }
        try:
            reply = self._post(B2C_PATH, payload, repeatable=True)
        except DarajaNoAnswer as exc:
            logger.warning(
                "B2C %s to %s: no answer (%s)", order.originator_id, mask_msisdn(msisdn), exc
            )
            return SubmitResult(Submission.UNKNOWN, reason=str(exc))
        if (
            reply.error_code == DUPLICATE_ORIGINATOR_CODE
            and DUPLICATE_ORIGINATOR_TEXT in reply.error_message.lower()
        ):
            # An earlier send of this very payout reached Daraja: it is in flight, not refused.
            logger.info("B2C %s: duplicate, an earlier send arrived", order.originator_id)
            return SubmitResult(Submission.ACCEPTED, None, reply.error_code, reply.error_message)
        submission, code, reason = reply.outcome()
        ref = reply.text("ConversationID") if submission is Submission.ACCEPTED else None
        logger.info(
            "B2C %s to %s: %s %s", order.originator_id, mask_msisdn(msisdn), submission, code
        )
        return SubmitResult(submission, ref, code, reason)

    def query_payout(self, originator_id: str) -> PayoutResult | None:
        """Ask for a Transaction Status; the answer comes by the ``status/result`` callback."""
        try:
            ack = self.transaction_status(originator_id=originator_id)
        except DarajaUnavailable as exc:
            logger.warning("status query for %s: %s", originator_id, exc)
            return None
        if not ack.accepted:
            logger.error("status query for %s refused: %s %s", originator_id, ack.code, ack.reason)
        return None

    # -- collections (STK push) ------------------------------------------------------------

    def request_collection(self, order: CollectionOrder) -> CollectionSubmit:
        logger.info("STK push for collection %s", order.reference)
        return self.stk_push(order.msisdn, order.amount_minor, order.account_reference)

    def stk_push(
        self,
        msisdn: str,
        amount_minor: int,
        account_reference: str,
        description: str = STK_TRANSACTION_DESC,
    ) -> CollectionSubmit:
        """One PIN prompt on the payer's phone; never repeated by this client."""
        amount_kes = whole_shillings(amount_minor, STK_MIN_KES, STK_MAX_KES)
        bounded_text("AccountReference", account_reference, 1, ACCOUNT_REFERENCE_MAX_CHARS)
        bounded_text("TransactionDesc", description, 1, TRANSACTION_DESC_MAX_CHARS)
        payer = normalise_msisdn(msisdn)
        timestamp = daraja_timestamp(self._clock())
        payload = {
            "BusinessShortCode": self._config.shortcode,
            "Password": stk_password(self._config.shortcode, self._config.passkey, timestamp),
            "Timestamp": timestamp,
            "TransactionType": "CustomerPayBillOnline",
            "Amount": str(amount_kes),
            "PartyA": payer,
            "PartyB": self._config.shortcode,
            "PhoneNumber": payer,
            "CallBackURL": self.callback_url("stk"),
            "AccountReference": account_reference,
            "TransactionDesc": description,
        }
        try:
            reply = self._post(STK_PUSH_PATH, payload, repeatable=False)
        except DarajaNoAnswer as exc:
            logger.warning("STK push to %s: no answer (%s)", mask_msisdn(payer), exc)
            return CollectionSubmit(Submission.UNKNOWN, reason=str(exc))
        except DarajaNotSent as exc:
            return CollectionSubmit(Submission.REJECTED, code=NOT_SENT_CODE, reason=str(exc))
        submission, code, reason = reply.outcome()
        checkout_id = reply.text("CheckoutRequestID") if submission is Submission.ACCEPTED else None
        logger.info("STK push to %s: %s %s", mask_msisdn(payer), submission, code)
        return CollectionSubmit(submission, checkout_id, code, reason)

    def query_collection(self, checkout_id: str) -> CollectionResult | None:
        try:
            result = self.stk_query(checkout_id)
        except (DarajaUnavailable, DarajaRefused) as exc:
            logger.warning("STK query %s: %s", checkout_id, exc)
            return None
        if result.state is StkState.PENDING:
            return None
        # The query carries neither receipt nor amount: those come by callback or statement.
        return CollectionResult(
            checkout_id,
            result.state is StkState.SUCCEEDED,
            None,
            None,
            result.code or "",
            result.reason,
        )

    def stk_query(self, checkout_id: str) -> StkQueryResult:
        timestamp = daraja_timestamp(self._clock())
        payload = {
            "BusinessShortCode": self._config.shortcode,
            "Password": stk_password(self._config.shortcode, self._config.passkey, timestamp),
            "Timestamp": timestamp,
            "CheckoutRequestID": checkout_id,
        }
        reply = self._post(STK_QUERY_PATH, payload, repeatable=True)
        code = reply.error_code
        if code == STK_PENDING_CODE and STK_PENDING_TEXT in reply.error_message.lower():
            return StkQueryResult(checkout_id, StkState.PENDING, code, reply.error_message)
        if code is not None:
            raise DarajaRefused(code, reply.error_message)
        response_code = reply.text("ResponseCode")
        if response_code not in (None, "0"):
            raise DarajaRefused(response_code, reply.text("ResponseDescription") or "")
        result_code, reason = reply.text("ResultCode"), reply.text("ResultDesc") or ""
        if result_code is None or result_code in STK_PENDING_RESULT_CODES:
            return StkQueryResult(checkout_id, StkState.PENDING, result_code, reason)
        state = StkState.SUCCEEDED if result_code == "0" else StkState.FAILED
        return StkQueryResult(checkout_id, state, result_code, reason)

    # -- organisation queries and requests ---------------------------------------------------

    def transaction_status(
        self, originator_id: str | None = None, receipt: str | None = None
    ) -> RequestAck:
        """Ask for a transaction's status by our OriginatorConversationID or its M-Pesa receipt."""
        if not originator_id and not receipt:
            raise ValueError("a status query needs an originator id or a receipt")
        payload: dict[str, str] = {
            "Initiator": self._config.initiator_name,
            "SecurityCredential": self._credential,
            "CommandID": "TransactionStatusQuery",
            "PartyA": self._config.shortcode,
            "IdentifierType": ORGANISATION_SHORTCODE,
            "ResultURL": self.callback_url("status/result"),
            "QueueTimeOutURL": self.callback_url("status/timeout"),
            "Remarks": STATUS_REMARKS,
            "Occasion": STATUS_REMARKS,
        }
        if receipt:
            payload["TransactionID"] = receipt
        if originator_id:
            payload["OriginalConversationID"] = originator_id  # "Original", not "Originator"
        return self._post(TRANSACTION_STATUS_PATH, payload, repeatable=True).ack()

    def account_balance(self) -> RequestAck:
        payload = {
            "Initiator": self._config.initiator_name,
            "SecurityCredential": self._credential,
            "CommandID": "AccountBalance",
            "PartyA": self._config.shortcode,
            "IdentifierType": ORGANISATION_SHORTCODE,
            "Remarks": BALANCE_REMARKS,
            "QueueTimeOutURL": self.callback_url("balance/timeout"),
            "ResultURL": self.callback_url("balance/result"),
        }
        return self._post(ACCOUNT_BALANCE_PATH, payload, repeatable=True).ack()

    def reversal(self, receipt: str, amount_minor: int, remarks: str) -> RequestAck:
        """Reverse a payment INTO our shortcode (C2B/STK); B2C reversals are portal-only."""
        if not receipt:
            raise ValueError("a reversal needs the M-Pesa receipt of the payment")
        amount_kes = whole_shillings(amount_minor, REVERSAL_MIN_KES, REVERSAL_MAX_KES)
        payload = {
            "Initiator": self._config.initiator_name,
            "SecurityCredential": self._credential,
            "CommandID": "TransactionReversal",
            "TransactionID": receipt,
            "Amount": str(amount_kes),
            "ReceiverParty": self._config.shortcode,
            "RecieverIdentifierType": REVERSAL_RECEIVER_TYPE,  # Safaricom's spelling
            "ResultURL": self.callback_url("reversal/result"),
            "QueueTimeOutURL": self.callback_url("reversal/timeout"),
            "Remarks": bounded_text("Remarks", remarks, REMARKS_MIN_CHARS, REMARKS_MAX_CHARS),
        }
        return self._post(REVERSAL_PATH, payload, repeatable=True).ack()

    def request_reversal(self, order: ReversalOrder) -> SubmitResult:
        """Reverse a payment into our shortcode; the outcome comes by ``reversal/result``."""
        try:
            ack = self.reversal(order.receipt, order.amount_minor, order.remarks)
        except DarajaUnavailable as exc:  # maybe sent: a repeat is answered "already reversed"
            logger.warning("reversal of %s: %s", order.receipt, exc)
            return SubmitResult(Submission.UNKNOWN, reason=str(exc))
        if not ack.accepted:
            return SubmitResult(Submission.REJECTED, None, ack.code, ack.reason)
        return SubmitResult(Submission.ACCEPTED, ack.conversation_id, ack.code, ack.reason)

    def query_reversal(self, order: ReversalOrder) -> ReversalOutcome | None:
        """Daraja has no reversal query: the caller asks again instead (a payment is
        reversed at most once, so a repeat is answered R000001, already reversed)."""
        return None

    def register_c2b_urls(
        self, confirmation_url: str, validation_url: str, response_type: str = "Completed"
    ) -> RequestAck:
        """Register the C2B URLs (v2: masked MSISDNs). In production this works once only."""
        if response_type not in C2B_RESPONSE_TYPES:
            raise ValueError(f"ResponseType must be one of {C2B_RESPONSE_TYPES}")
        payload = {
            "ShortCode": self._config.shortcode,
            "ResponseType": response_type,
            "ConfirmationURL": confirmation_url,
            "ValidationURL": validation_url,
        }
        return self._post(C2B_REGISTER_PATH, payload, repeatable=True).ack()

    # -- transport and retries ---------------------------------------------------------------

    def _post(self, path: str, payload: dict[str, str], *, repeatable: bool) -> _Reply:
        def call(token: str) -> httpx.Response:
            return self._http.post(path, json=payload, headers={"Authorization": f"Bearer {token}"})

        return self._calls.send(path, call, repeatable=repeatable)
