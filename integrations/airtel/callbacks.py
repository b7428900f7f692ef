"""Airtel's callback, read into the port's types, and its optional authentication checked.

Body (moodle-paygw_airtelafrica ``callback.php``; disbursements and collections alike):
``{"transaction": {"id", "message", "status_code", "airtel_money_id"}, "hash"?}``.

- ``id`` is OUR transaction id (the payout's ``originator_id``, the collection's
  ``checkout_id``); Airtel posts both kinds to the URLs registered on its portal, so the path
  (``/callbacks/airtel/{token}/{kind}``) or a lookup of the id tells which it is.
- ``status_code`` ``TS`` is success and ``TF`` failure; ``TIP`` / ``TA`` / ``TI`` are not
  final (the result is enquired); ``TR`` (reversed) is final and not a success for a payout.
- With a callback secret, ``hash`` is base64(HMAC-SHA256(secret, compact JSON of the
  ``transaction`` object as received)); WHICH bytes are hashed is unconfirmed, so the check is
  switchable, accepts the two compact serialisations (ASCII-escaped or UTF-8), and runs in
  constant time. A callback moves no money on its own word: the app confirms by enquiry.

Quirks absorbed: a numeric ``id``, codes in lower case or with spaces, ``status`` instead of
``status_code``, no ``airtel_money_id`` or ``message`` on failures, extra fields. Anything else
raises ``MalformedCallback`` naming the field (never echoing its value).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

from integrations.airtel.codes import TxStatus, tx_status
from integrations.airtel.replies import text
from integrations.payments.port import CollectionResult, PayoutResult

MAX_ID_CHARS = 100
MAX_MESSAGE_CHARS = 500


class MalformedCallback(ValueError):
    """An Airtel callback body lacks a field we need, or holds one we cannot read."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class UnauthenticCallback(ValueError):
    """A callback secret is configured and the body's ``hash`` is missing or does not match."""


@dataclass(frozen=True, slots=True)
class AirtelCallback:
    transaction_id: str
    status_code: str
    """As sent, upper-cased: ``TS``, ``TF``... (an unknown one reads as not final)."""
    message: str
    airtel_money_id: str | None
    authenticated: bool
    """The hash was checked and matched (False when no check was configured)."""

    @property
    def status(self) -> TxStatus | None:
        return tx_status(self.status_code)

    @property
    def final(self) -> bool:
        return self.status in (TxStatus.SUCCESS, TxStatus.FAILED, TxStatus.REVERSED)

    @property
    def succeeded(self) -> bool:
        return self.status is TxStatus.SUCCESS

    def to_payout_result(self) -> PayoutResult | None:
        """The payout's result, or None while Airtel says it is not final (enquire)."""
        if not self.final:
            return None
        receipt = self.airtel_money_id if self.succeeded else None
        return PayoutResult(
            self.transaction_id, self.succeeded, receipt, self.status_code, self.message
        )

    def to_collection_result(self) -> CollectionResult | None:
        """The collection's result (amount: from the enquiry or the statement), or None."""
        if not self.final:
            return None
        paid = self.status is not TxStatus.FAILED  # TR: it came in, then went back
        receipt = self.airtel_money_id if paid else None
        return CollectionResult(
            self.transaction_id, paid, receipt, None, self.status_code, self.message
        )


def callback_hash(transaction: Mapping[str, object], secret: str, *, ascii_only: bool) -> str:
    """base64(HMAC-SHA256(secret, compact JSON of ``transaction``)), the documented sample."""
    message = json.dumps(transaction, separators=(",", ":"), ensure_ascii=ascii_only)
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _authentic(transaction: Mapping[str, object], sent: object, secret: str) -> bool:
    if not isinstance(sent, str) or not sent:
        return False
    expected = (callback_hash(transaction, secret, ascii_only=a) for a in (True, False))
    matches = [hmac.compare_digest(e.encode(), sent.strip().encode()) for e in expected]
    return any(matches)  # both compared: the time taken does not tell which form matched


def _transaction(body: object) -> Mapping[str, object]:
    if not isinstance(body, Mapping):
        raise MalformedCallback("body", "missing" if body is None else "not an object")
    transaction = body.get("transaction")
    if not isinstance(transaction, Mapping):
        raise MalformedCallback(
            "transaction", "missing" if transaction is None else "not an object"
        )
    return transaction


def _required(transaction: Mapping[str, object], *keys: str) -> str:
    for key in keys:
        value = transaction.get(key)
        if value is None:
            continue
        found = text(value)
        if found is None or len(found) > MAX_ID_CHARS:
            raise MalformedCallback(f"transaction.{key}", "not a short text")
        return found
    raise MalformedCallback(f"transaction.{keys[0]}", "missing")


def _optional(transaction: Mapping[str, object], key: str, max_chars: int) -> str | None:
    value = transaction.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedCallback(f"transaction.{key}", "not text")
    return (text(value) or "")[:max_chars] or None


def parse_callback(
    body: object, *, secret: str | None = None, verify_hash: bool = True
) -> AirtelCallback:
    """Read a callback; with ``secret`` (and ``verify_hash``) its hash must match."""
    transaction = _transaction(body)
    checked = secret is not None and verify_hash
    if checked:
        assert secret is not None
        assert isinstance(body, Mapping)
        if not _authentic(transaction, body.get("hash"), secret):
            raise UnauthenticCallback("the callback's hash is missing or does not match")
    return AirtelCallback(
        transaction_id=_required(transaction, "id"),
        status_code=_required(transaction, "status_code", "status").replace(" ", "").upper(),
        message=_optional(transaction, "message", MAX_MESSAGE_CHARS) or "",
        airtel_money_id=_optional(transaction, "airtel_money_id", MAX_ID_CHARS),
        authenticated=checked,
    )


def natural_key(body: object) -> str:
    """The inbox key: our id and the status, so a redelivery has the same key and a final
    status after an interim one does not (read with the fewest fields, no hash check)."""
    transaction = _transaction(body)
    status = _required(transaction, "status_code", "status").replace(" ", "").upper()
    return f"{_required(transaction, 'id')}:{status}"


def callback_ack() -> dict[str, object]:
    """Airtel documents no answer body; any 2xx is taken. This one is small and plain."""
    return {"status": {"code": "200", "success": True, "message": "Accepted"}}
