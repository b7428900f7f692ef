"""Airtel's answers, read: the ``{"data": {"transaction": {...}}, "status": {...}}`` envelope,
classified into the port's accepted / rejected / unknown, and enquiries into a final state.

Rules (docs/airtel.md has the sources):

- A refusal comes as HTTP 200 with ``status.success`` false: the HTTP status alone never means
  success. A known code decides first (``codes.meaning_of``), then ``status.success``.
- Success or in-progress codes with ``success`` false, and failure codes with ``success`` true,
  contradict each other: UNKNOWN (enquire), never a refusal of something that may have moved.
- A duplicate transaction id (``DP00900001017``, ``ESB000041``) is ACCEPTED: an earlier send
  of the same request arrived.
- An enquiry's transaction status (``TS`` / ``TF`` / ``TR``) is final whatever the envelope
  says; ``TIP`` / ``TA`` / ``TI`` and unknown statuses are pending.

Quirks absorbed: ``success`` as a bool or a string, ``status.code`` as "200" or 200,
``data.transaction.id`` as ``false`` in the collection answer, codes with stray spaces.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from integrations.airtel.codes import Meaning, TxStatus, meaning_of, tx_status
from integrations.payments.port import Submission

_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})


def text(value: object) -> str | None:
    """A stripped string from a string or a whole number; None for absent, blank or a bool."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip() or None
    return None


def flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    found = (text(value) or "").lower()
    return True if found in _TRUE else False if found in _FALSE else None


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class Reply:
    http_status: int
    body: Mapping[str, Any]

    @property
    def status(self) -> Mapping[str, Any]:
        return mapping(self.body.get("status"))

    @property
    def transaction(self) -> Mapping[str, Any]:
        return mapping(mapping(self.body.get("data")).get("transaction"))

    @property
    def success(self) -> bool | None:
        return flag(self.status.get("success"))

    @property
    def response_code(self) -> str | None:
        return text(self.status.get("response_code"))

    @property
    def result_code(self) -> str | None:
        return text(self.status.get("result_code"))

    @property
    def message(self) -> str:
        return (
            text(self.status.get("message"))
            or text(self.body.get("error_description"))
            or text(self.body.get("error"))
            or ""
        )

    @property
    def code(self) -> str:
        return self.response_code or self.result_code or f"http_{self.http_status}"

    @property
    def invalid_token(self) -> bool:
        return self.http_status == httpx.codes.UNAUTHORIZED

    @property
    def throttled(self) -> bool:
        return self.http_status == httpx.codes.TOO_MANY_REQUESTS

    def tx_text(self, key: str) -> str | None:
        return text(self.transaction.get(key))

    def submission(self) -> Submission:
        """Accepted, rejected or unknown, by the rules of the module docstring."""
        meaning = meaning_of(self.response_code, self.result_code)
        success = self.success
        if meaning is Meaning.DUPLICATE:
            return Submission.ACCEPTED
        if meaning in (Meaning.SUCCESS, Meaning.IN_PROGRESS):
            return Submission.ACCEPTED if success is not False else Submission.UNKNOWN
        if meaning is Meaning.AMBIGUOUS:
            return Submission.UNKNOWN
        if meaning in (Meaning.FAILED, Meaning.NOT_FOUND):
            return Submission.REJECTED if success is not True else Submission.UNKNOWN
        if success is False:
            return Submission.REJECTED
        if self.http_status >= httpx.codes.INTERNAL_SERVER_ERROR:
            return Submission.UNKNOWN
        if self.http_status >= httpx.codes.BAD_REQUEST:
            return Submission.REJECTED
        return Submission.ACCEPTED if success is True else Submission.UNKNOWN


class EnquiryState(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REVERSED = "reversed"
    PENDING = "pending"
    NOT_FOUND = "not_found"
    """Airtel has no transaction under this id (yet): it may be sent again under the same id."""
    UNKNOWN = "unknown"
    """The enquiry itself was refused or unreadable: ask again later."""


_FINAL = {
    TxStatus.SUCCESS: EnquiryState.SUCCEEDED,
    TxStatus.FAILED: EnquiryState.FAILED,
    TxStatus.REVERSED: EnquiryState.REVERSED,
}


@dataclass(frozen=True, slots=True)
class Enquiry:
    """What Airtel says about one of our transactions."""

    transaction_id: str
    state: EnquiryState
    code: str
    """The failure's response code when Airtel gives one, else the status (``TS``, ``TF``...)."""
    message: str
    airtel_money_id: str | None


def read_enquiry(reply: Reply, transaction_id: str) -> Enquiry:
    status = tx_status(reply.tx_text("status"))
    meaning = meaning_of(reply.response_code, reply.result_code)
    if status in _FINAL:
        state = _FINAL[status]
    elif meaning is Meaning.NOT_FOUND:
        state = EnquiryState.NOT_FOUND
    elif reply.success is not True or not reply.transaction:
        state = EnquiryState.UNKNOWN
    else:
        state = EnquiryState.PENDING
    code = status.value if status is not None else reply.code
    if state is EnquiryState.FAILED and meaning is Meaning.FAILED and reply.response_code:
        code = reply.response_code
    return Enquiry(
        transaction_id=transaction_id,
        state=state,
        code=code,
        message=reply.tx_text("message") or reply.message,
        airtel_money_id=reply.tx_text("airtel_money_id"),
    )
