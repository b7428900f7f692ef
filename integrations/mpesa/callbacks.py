"""Every inbound Daraja callback body, read into frozen neutral types, and the answers we send back.

Callers hand in the JSON-decoded body; each ``parse_*`` returns its result or raises the one
``MalformedCallback`` naming the field. Daraja's PascalCase names stop here: no attribute of the
returned types is a Daraja field name. Money is cents, times are aware UTC datetimes, and a
payer's number is kept only when it is a real one (C2B sends it masked, hashed or blank).
Result codes are strings (``"0"``, ``"1032"``, ``"R000002"``, ``"C2B00012"``); only ``"0"``
is success.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from integrations.mpesa.normalise import (
    MalformedCallback,
    amount_minor,
    balance_minor,
    eat_time,
    fields,
    key_values,
    optional_amount_minor,
    read_msisdn,
    receipt,
    required_eat_time,
    required_text,
    squeeze,
    text,
)
from integrations.mpesa.results import SUCCESS_CODE
from integrations.payments.port import CollectionResult

STILL_PROCESSING_ERROR = "500.001.1001"
"""The STK query's HTTP 500 while the prompt is open (the same code carries other errors)."""
MAX_TIMEOUT_SEARCH_DEPTH = 3

_STK = "Body.stkCallback"


@dataclass(frozen=True, slots=True)
class StkResult:
    """The outcome of one STK push (M-Pesa Express), from its callback."""

    checkout_id: str
    merchant_request_id: str | None
    result_code: str
    result_desc: str
    amount_minor: int | None
    receipt: str | None
    paid_at: datetime | None
    phone: str | None
    """The payer's 12-digit number, only when the callback carries a real (unmasked) one."""
    phone_hint: str | None
    """A form of the payer's number safe to log (masked), or None when absent."""

    @property
    def succeeded(self) -> bool:
        return self.result_code == SUCCESS_CODE

    def to_collection_result(self) -> CollectionResult:
        return CollectionResult(
            checkout_id=self.checkout_id,
            succeeded=self.succeeded,
            receipt=self.receipt,
            amount_minor=self.amount_minor,
            code=self.result_code,
            reason=self.result_desc,
        )


def parse_stk_callback(body: object) -> StkResult:
    root = fields(body, "body")
    callback = fields(fields(root.get("Body"), "Body").get("stkCallback"), _STK)
    meta_field = f"{_STK}.CallbackMetadata"
    # By Name, never by position: order and presence vary (Balance often has no Value).
    meta = key_values(callback.get("CallbackMetadata"), "Item", meta_field, key_name="Name")
    phone, phone_hint = read_msisdn(meta.get("PhoneNumber"), f"{meta_field}[PhoneNumber]")
    return StkResult(
        checkout_id=required_text(callback.get("CheckoutRequestID"), f"{_STK}.CheckoutRequestID"),
        merchant_request_id=text(callback.get("MerchantRequestID"), f"{_STK}.MerchantRequestID"),
        result_code=required_text(callback.get("ResultCode"), f"{_STK}.ResultCode"),
        result_desc=text(callback.get("ResultDesc"), f"{_STK}.ResultDesc") or "",
        amount_minor=optional_amount_minor(meta.get("Amount"), f"{meta_field}[Amount]"),
        receipt=receipt(meta.get("MpesaReceiptNumber"), f"{meta_field}[MpesaReceiptNumber]"),
        paid_at=eat_time(meta.get("TransactionDate"), f"{meta_field}[TransactionDate]"),
        phone=phone,
        phone_hint=phone_hint,
    )


class StkQueryState(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PENDING = "pending"
    """The prompt is still open: query again later."""
    UNKNOWN = "unknown"
    """The query itself was refused (credentials, token, throttling): the payment is unknown."""


@dataclass(frozen=True, slots=True)
class StkQueryOutcome:
    """The synchronous answer to an STK push query. It never carries a receipt."""

    state: StkQueryState
    checkout_id: str | None
    result_code: str | None
    """The payment's result code; for UNKNOWN and PENDING answers, the error code if any."""
    result_desc: str

    def to_collection_result(self) -> CollectionResult | None:
        """The port's answer to ``query_collection``: None while nothing final is known."""
        if self.state in (StkQueryState.PENDING, StkQueryState.UNKNOWN):
            return None
        assert self.checkout_id is not None  # parse_stk_query_response requires it when final
        assert self.result_code is not None
        return CollectionResult(
            checkout_id=self.checkout_id,
            succeeded=self.state is StkQueryState.SUCCEEDED,
            receipt=None,
            amount_minor=None,
            code=self.result_code,
            reason=self.result_desc,
        )


def parse_stk_query_response(body: object) -> StkQueryOutcome:
    answer = fields(body, "body")
    checkout_id = text(answer.get("CheckoutRequestID"), "CheckoutRequestID")
    error_code = text(answer.get("errorCode"), "errorCode")
    if error_code is not None:
        message = text(answer.get("errorMessage"), "errorMessage") or ""
        still_processing = error_code == STILL_PROCESSING_ERROR and "being processed" in (
            message.lower()
        )
        state = StkQueryState.PENDING if still_processing else StkQueryState.UNKNOWN
        return StkQueryOutcome(state, checkout_id, error_code, message)
    result_code = text(answer.get("ResultCode"), "ResultCode")
    result_desc = text(answer.get("ResultDesc"), "ResultDesc") or ""
    if result_code is None:
        # Accepted but no result yet; anything else is a refusal of the query itself.
        response_code = text(answer.get("ResponseCode"), "ResponseCode")
        if response_code is None:
            raise MalformedCallback("ResultCode", "missing (and no errorCode)")
        state = StkQueryState.PENDING if response_code == SUCCESS_CODE else StkQueryState.UNKNOWN
        description = text(answer.get("ResponseDescription"), "ResponseDescription") or ""
        return StkQueryOutcome(state, checkout_id, response_code, description)
    if checkout_id is None:
        raise MalformedCallback("CheckoutRequestID", "missing")
    succeeded = result_code == SUCCESS_CODE
    state = StkQueryState.SUCCEEDED if succeeded else StkQueryState.FAILED
    return StkQueryOutcome(state, checkout_id, result_code, result_desc)


@dataclass(frozen=True, slots=True)
class C2BPayment:
    """A customer's payment to our paybill or till (the same shape for validation and
    confirmation)."""

    receipt: str
    kind: str | None
    """Free text: "Pay Bill", "Buy Goods", sometimes blank or "CustomerPayBillOnline"."""
    paid_at: datetime
    amount_minor: int
    shortcode: str
    account_reference: str | None
    """The account number the payer typed, trimmed, upper-cased, without inner spaces."""
    account_reference_raw: str
    invoice_number: str | None
    org_balance_minor: int | None
    """Our utility balance after the payment (confirmation only; blank in validation)."""
    msisdn: str | None
    """The payer's 12-digit number, only when Daraja sent a real one."""
    msisdn_hint: str | None
    """Masked number or SHA-256 hex (C2B v1), safe to log; None when Daraja sent nothing."""
    payer_name: str | None
    third_party_id: str | None


def parse_c2b(body: object) -> C2BPayment:
    payment = fields(body, "body")
    found_receipt = receipt(payment.get("TransID"), "TransID")
    if found_receipt is None:
        raise MalformedCallback("TransID", "missing")
    raw_reference = payment.get("BillRefNumber")
    reference_raw = (
        raw_reference
        if isinstance(raw_reference, str)
        else text(raw_reference, "BillRefNumber") or ""
    )
    reference = squeeze(reference_raw).upper()
    msisdn, msisdn_hint = read_msisdn(payment.get("MSISDN"), "MSISDN")
    names = (text(payment.get(part), part) for part in ("FirstName", "MiddleName", "LastName"))
    return C2BPayment(
        receipt=found_receipt,
        kind=text(payment.get("TransactionType"), "TransactionType"),
        paid_at=required_eat_time(payment.get("TransTime"), "TransTime"),
        amount_minor=amount_minor(payment.get("TransAmount"), "TransAmount"),
        shortcode=required_text(payment.get("BusinessShortCode"), "BusinessShortCode"),
        account_reference=reference or None,
        account_reference_raw=reference_raw,
        invoice_number=text(payment.get("InvoiceNumber"), "InvoiceNumber"),
        org_balance_minor=balance_minor(payment.get("OrgAccountBalance"), "OrgAccountBalance"),
        msisdn=msisdn,
        msisdn_hint=msisdn_hint,
        payer_name=" ".join(name for name in names if name) or None,
        third_party_id=text(payment.get("ThirdPartyTransID"), "ThirdPartyTransID"),
    )


@dataclass(frozen=True, slots=True)
class QueueTimeout:
    """Whatever could be read from a queue-timeout notice (its shape is unconfirmed). The
    request's outcome is unknown, not failed: query its status before paying again."""

    originator_id: str | None
    conversation_id: str | None
    result_code: str | None
    result_desc: str | None


_TIMEOUT_KEYS = {
    "originatorconversationid": "originator_id",
    "originatorcoversationid": "originator_id",  # Safaricom's own typo, seen in other answers
    "conversationid": "conversation_id",
    "resultcode": "result_code",
    "resultdesc": "result_desc",
}


def parse_timeout(body: object) -> QueueTimeout:
    """Read any JSON object, searching nested objects breadth-first for the ids; raise only when
    neither id is anywhere."""
    if not isinstance(body, Mapping):
        raise MalformedCallback("body", "not an object")
    found: dict[str, str] = {}
    level: list[Mapping[object, object]] = [body]
    for _ in range(MAX_TIMEOUT_SEARCH_DEPTH):
        nested: list[Mapping[object, object]] = []
        for obj in level:
            for key, value in obj.items():
                if isinstance(value, Mapping):
                    nested.append(value)
                    continue
                name = _TIMEOUT_KEYS.get(squeeze(str(key)).lower())
                if name is not None and name not in found:
                    try:
                        found_text = text(value, name)
                    except MalformedCallback:
                        continue
                    if found_text is not None:
                        found[name] = found_text
        level = nested
    timeout = QueueTimeout(
        originator_id=found.get("originator_id"),
        conversation_id=found.get("conversation_id"),
        result_code=found.get("result_code"),
        result_desc=found.get("result_desc"),
    )
    if timeout.originator_id is None and timeout.conversation_id is None:
        raise MalformedCallback("OriginatorConversationID", "missing (and no ConversationID)")
    return timeout


class CallbackKind(enum.StrEnum):
    STK = "stk"
    C2B_VALIDATION = "c2b_validation"
    C2B_CONFIRMATION = "c2b_confirmation"
    B2C_RESULT = "b2c_result"
    STATUS_RESULT = "status_result"
    BALANCE_RESULT = "balance_result"
    REVERSAL_RESULT = "reversal_result"
    QUEUE_TIMEOUT = "queue_timeout"


def natural_key(kind: CallbackKind | str, body: object) -> str:
    """The callback's unique key for an inbox table (with ``kind``): a redelivery has the same.

    Read with the fewest fields, so a body that fails the full parse is still deduplicated.
    """
    kind = CallbackKind(kind)
    if kind is CallbackKind.STK:
        root = fields(body, "body")
        callback = fields(fields(root.get("Body"), "Body").get("stkCallback"), _STK)
        return required_text(callback.get("CheckoutRequestID"), f"{_STK}.CheckoutRequestID")
    if kind in (CallbackKind.C2B_VALIDATION, CallbackKind.C2B_CONFIRMATION):
        found = receipt(fields(body, "body").get("TransID"), "TransID")
        if found is None:
            raise MalformedCallback("TransID", "missing")
        return found
    timeout = parse_timeout(body)
    key = timeout.originator_id or timeout.conversation_id
    assert key is not None  # parse_timeout raises when both are absent
    return key


class C2BRejection(enum.StrEnum):
    """Why a C2B validation refuses a payment (the payer's money does not move)."""

    INVALID_MSISDN = "C2B00011"
    INVALID_ACCOUNT_NUMBER = "C2B00012"
    INVALID_AMOUNT = "C2B00013"
    INVALID_KYC_DETAILS = "C2B00014"
    INVALID_SHORTCODE = "C2B00015"
    OTHER_ERROR = "C2B00016"


def stk_ack() -> dict[str, str | int]:
    """Daraja specifies no answer for the STK callback; this is the common practice."""
    return {"ResultCode": 0, "ResultDesc": "Accepted"}


def c2b_validation_accept(third_party_id: str | None = None) -> dict[str, str | int]:
    """Accept a payment; ``third_party_id`` comes back in the confirmation."""
    answer: dict[str, str | int] = {"ResultCode": SUCCESS_CODE, "ResultDesc": "Accepted"}
    if third_party_id is not None:
        answer["ThirdPartyTransID"] = third_party_id
    return answer


def c2b_validation_reject(reason: C2BRejection) -> dict[str, str | int]:
    return {"ResultCode": C2BRejection(reason).value, "ResultDesc": "Rejected"}


def c2b_confirmation_ack() -> dict[str, str | int]:
    return {"ResultCode": 0, "ResultDesc": "Success"}


def result_ack() -> dict[str, str | int]:
    """For B2C, status, balance and reversal results and queue timeouts (the body is free)."""
    return {"ResultCode": 0, "ResultDesc": "Accepted"}
