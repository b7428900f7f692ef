"""The Airtel Money client: disbursements (payouts), USSD-push collections, their enquiries and
refunds, behind ``integrations.payments.port.PaymentProvider``.

Port -> Airtel:

- ``submit_payout``: ``POST /standard/v2/disbursements/`` with the PIN encrypted; our
  ``originator_id`` is Airtel's ``transaction.id``, the same on every send.
- ``query_payout``: ``GET /standard/v2/disbursements/{id}?transactionType=B2C``.
- ``request_collection``: ``POST /merchant/v1/payments/`` (``v2`` with ``x-signature`` /
  ``x-key`` when ``sign_collections``); our ``reference`` is the transaction id, and it is
  also the ``checkout_id`` the port's queries take.
- ``query_collection``: ``GET /standard/v1/payments/{id}``.
- ``request_reversal``: ``POST /standard/v1/payments/refund`` by ``airtel_money_id`` (Airtel
  refunds the whole payment; it takes no amount). ``query_reversal``: the enquiry of the
  original payment (``order.payment_ref``), reversed when its status is ``TR``.

Outcomes (``replies``): a refusal is HTTP 200 with ``status.success`` false, so the HTTP status
never decides alone. ``AirtelNotSent`` from ``submit_payout`` means nothing reached Airtel: send
again later under the same id. No answer after sending -> UNKNOWN: enquire, never resend under a
new id. A second send of the same id is refused as a duplicate, which reads as ACCEPTED. The
port's queries never raise for an unreachable Airtel: they answer None ("ask again").
Numbers travel as 9 national digits; amounts as whole shillings, KES 10 - 150,000.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Self

from integrations.airtel.codes import describe
from integrations.airtel.config import AirtelConfig
from integrations.airtel.numbers import national_number
from integrations.airtel.replies import Enquiry, EnquiryState, Reply, read_enquiry
from integrations.airtel.transport import AirtelNoAnswer, AirtelTransport, AirtelUnavailable
from integrations.payments.amounts import whole_shillings
from integrations.payments.port import (
    CollectionOrder,
    CollectionResult,
    CollectionSubmit,
    PayoutOrder,
    PayoutResult,
    ReversalOrder,
    ReversalOutcome,
    Submission,
    SubmitResult,
)
from integrations.phone import mask_msisdn

logger = logging.getLogger(__name__)

DISBURSEMENT_PATH = "/standard/v2/disbursements/"
DISBURSEMENT_ENQUIRY_PATH = "/standard/v2/disbursements/{id}"
COLLECTION_PATH = "/merchant/v1/payments/"
SIGNED_COLLECTION_PATH = "/merchant/v2/payments/"
COLLECTION_ENQUIRY_PATH = "/standard/v1/payments/{id}"
REFUND_PATH = "/standard/v1/payments/refund"
MIN_KES, MAX_KES = 10, 150_000
WALLET_TYPE = "NORMAL"
NOT_SENT_CODE = "not_sent"
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9]{1,64}")
_REFERENCE = re.compile(r"[A-Za-z0-9]{4,64}")
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


class InvalidAirtelField(ValueError):
    """An id or reference Airtel would refuse (ids: 1-64 letters and digits; references: 4-64)."""


def transaction_id(value: str) -> str:
    if not _TRANSACTION_ID.fullmatch(value):
        raise InvalidAirtelField("an Airtel transaction id is 1-64 letters and digits")
    return value


def reference(value: str) -> str:
    if not _REFERENCE.fullmatch(value):
        raise InvalidAirtelField("an Airtel reference is 4-64 letters and digits")
    return value


def payout_reference(order: PayoutOrder) -> str:
    """The remarks' letters and digits (at most 64), or our id when fewer than 4 remain."""
    cleaned = _NOT_ALPHANUMERIC.sub("", order.remarks)[:64]
    return cleaned if len(cleaned) >= 4 else transaction_id(order.originator_id)


class AirtelClient:
    """Airtel over HTTP; one instance per process, sharing its token through ``token_store``."""

    def __init__(
        self, config: AirtelConfig, *, clock: Callable[[], datetime], **transport: Any
    ) -> None:
        self._config = config
        self._http = AirtelTransport(config, clock=clock, **transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- payouts (disbursements) ---------------------------------------------------------------

    def submit_payout(self, order: PayoutOrder) -> SubmitResult:
        amount_kes = whole_shillings(order.amount_minor, MIN_KES, MAX_KES)
        payee = national_number(order.msisdn)
        payload = {
            "payee": {
                "msisdn": payee,
                "wallet_type": WALLET_TYPE,
                "currency": self._config.currency,
            },
            "reference": payout_reference(order),
            "pin": self._http.encrypted_pin(),
            "transaction": {
                "amount": amount_kes,
                "id": transaction_id(order.originator_id),
                "type": "B2C",
            },
        }
        shown = mask_msisdn(order.msisdn)
        try:
            reply = self._http.post(DISBURSEMENT_PATH, payload)
        except AirtelNoAnswer as exc:
            logger.warning("disbursement %s to %s: no answer (%s)", order.originator_id, shown, exc)
            return SubmitResult(Submission.UNKNOWN, reason=str(exc))
        submission = reply.submission()
        logger.info(
            "disbursement %s to %s: %s %s", order.originator_id, shown, submission, reply.code
        )
        return SubmitResult(submission, _ref(reply, submission), reply.code, _reason(reply))

    def enquire_payout(self, originator_id: str) -> Enquiry:
        """Airtel's word on a disbursement (raises ``AirtelUnavailable``)."""
        path = DISBURSEMENT_ENQUIRY_PATH.format(id=transaction_id(originator_id))
        return read_enquiry(self._http.get(path, {"transactionType": "B2C"}), originator_id)

    def query_payout(self, originator_id: str) -> PayoutResult | None:
        enquiry = self._enquire(self.enquire_payout, originator_id)
        if enquiry is None or enquiry.state not in _FINAL_STATES:
            return None
        succeeded = enquiry.state is EnquiryState.SUCCEEDED
        return PayoutResult(
            originator_id,
            succeeded,
            enquiry.airtel_money_id if succeeded else None,
            enquiry.code,
            enquiry.message,
        )

    # -- collections (USSD push) -----------------------------------------------------------------

    def request_collection(self, order: CollectionOrder) -> CollectionSubmit:
        """One PIN prompt on the payer's phone under our id; a resend of the id is refused."""
        config = self._config
        amount_kes = whole_shillings(order.amount_minor, MIN_KES, MAX_KES)
        tx_id = transaction_id(order.reference)
        where = {"country": config.country, "currency": config.currency}
        payload = {
            "reference": reference(order.account_reference),
            "subscriber": {**where, "msisdn": national_number(order.msisdn)},
            "transaction": {"amount": amount_kes, **where, "id": tx_id},
        }
        signed = config.sign_collections
        path = SIGNED_COLLECTION_PATH if signed else COLLECTION_PATH
        try:
            reply = self._http.post(path, payload, signed=signed)
        except AirtelNoAnswer as exc:
            logger.warning("collection %s: no answer (%s)", tx_id, exc)
            return CollectionSubmit(Submission.UNKNOWN, tx_id, reason=str(exc))
        except AirtelUnavailable as exc:  # nothing left: no prompt was shown
            return CollectionSubmit(Submission.REJECTED, code=NOT_SENT_CODE, reason=str(exc))
        submission = reply.submission()
        logger.info("collection %s: %s %s", tx_id, submission, reply.code)
        checkout_id = None if submission is Submission.REJECTED else tx_id
        return CollectionSubmit(submission, checkout_id, reply.code, _reason(reply))

    def enquire_collection(self, checkout_id: str) -> Enquiry:
        """Airtel's word on a collection (raises ``AirtelUnavailable``)."""
        path = COLLECTION_ENQUIRY_PATH.format(id=transaction_id(checkout_id))
        return read_enquiry(self._http.get(path), checkout_id)

    def query_collection(self, checkout_id: str) -> CollectionResult | None:
        """A reversed payment (``TR``) did come in: it reads as succeeded, code ``TR``."""
        enquiry = self._enquire(self.enquire_collection, checkout_id)
        if enquiry is None or enquiry.state not in _FINAL_STATES:
            return None
        succeeded = enquiry.state is not EnquiryState.FAILED
        return CollectionResult(
            checkout_id,
            succeeded,
            enquiry.airtel_money_id if succeeded else None,
            None,  # the enquiry carries no amount: the callback or the statement does
            enquiry.code,
            enquiry.message,
        )

    # -- refunds (reversals of a payment into the fund) --------------------------------------

    def request_reversal(self, order: ReversalOrder) -> SubmitResult:
        """Refund a payment in full. A refusal of a payment already refunded (seen by the
        enquiry of ``order.payment_ref``) is ACCEPTED: an earlier request won."""
        if not order.receipt:
            raise ValueError("a refund needs the payment's airtel_money_id")
        payload = {"transaction": {"airtel_money_id": order.receipt}}
        try:
            reply = self._http.post(REFUND_PATH, payload)
        except AirtelUnavailable as exc:  # maybe sent: a repeat is refused, then enquired
            logger.warning("refund of %s: %s", order.receipt, exc)
            return SubmitResult(Submission.UNKNOWN, reason=str(exc))
        submission = reply.submission()
        if submission is Submission.REJECTED:
            outcome = self.query_reversal(order)
            if outcome is not None and outcome.succeeded:
                return SubmitResult(Submission.ACCEPTED, None, outcome.code, outcome.reason)
        return SubmitResult(submission, _ref(reply, submission), reply.code, _reason(reply))

    def query_reversal(self, order: ReversalOrder) -> ReversalOutcome | None:
        """Reversed (``TR``), failed (the payment never completed: nothing to refund), or None
        while the payment stands or without ``order.payment_ref``: ask again with
        ``request_reversal`` (a payment is refunded once)."""
        if order.payment_ref is None:
            return None
        enquiry = self._enquire(self.enquire_collection, order.payment_ref)
        if enquiry is None or enquiry.state not in (EnquiryState.REVERSED, EnquiryState.FAILED):
            return None
        return ReversalOutcome(
            order.receipt,
            None,
            enquiry.state is EnquiryState.REVERSED,
            enquiry.code,
            enquiry.message,
        )

    def _enquire(self, enquire: Callable[[str], Enquiry], tx_id: str) -> Enquiry | None:
        try:
            return enquire(tx_id)
        except AirtelUnavailable as exc:
            logger.warning("enquiry of %s: %s", tx_id, exc)
            return None


_FINAL_STATES = (EnquiryState.SUCCEEDED, EnquiryState.FAILED, EnquiryState.REVERSED)


def _ref(reply: Reply, submission: Submission) -> str | None:
    if submission is Submission.REJECTED:
        return None
    return reply.tx_text("airtel_money_id") or reply.tx_text("reference_id")


def _reason(reply: Reply) -> str:
    return reply.message or describe(reply.code)
