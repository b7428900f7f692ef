"""What every simulated Airtel route shares: Airtel's envelopes, the gate each API call passes
(token, throttling, the ``X-Country`` / ``X-Currency`` headers, a JSON object body), field
checks, and sending callbacks after the answer.

Refusals follow the sources: authentication failures are HTTP 401 with an OAuth-style
``error`` body, throttling HTTP 429, a malformed request HTTP 400 with the envelope
(``ESB000008``), and business refusals HTTP 200 with ``status.success`` false.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import BackgroundTasks, Request

from integrations.airtel.callbacks import callback_hash
from integrations.airtel.codes import RESULT_OK
from integrations.airtel.simulator.outcomes import Outcome, Script
from integrations.airtel.simulator.state import AirtelSimState, Transaction
from integrations.mpesa.simulator.checks import Deliver
from integrations.mpesa.simulator.delivery import Call, Courier, Dispatch

_NATIONAL = re.compile(r"[17][0-9]{8}")
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9]{1,64}")
_REFERENCE = re.compile(r"[A-Za-z0-9]{4,64}")
MAX_BODY_TEXT = 200
MAX_CIPHERTEXT_CHARS = 1024
"""A base64 RSA ciphertext: 344 characters for a 2048-bit key, 684 for 4096."""


class AirtelError(Exception):
    """A synchronous answer that is not a success: HTTP ``http_status`` with ``body``."""

    def __init__(self, http_status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.http_status, self.body = http_status, body


def envelope(
    success: bool,
    message: str,
    response_code: str | None = None,
    result_code: str = RESULT_OK,
    data: dict[str, Any] | None = None,
    code: str = "200",
) -> dict[str, Any]:
    status: dict[str, Any] = {"code": code, "message": message, "result_code": result_code}
    if response_code is not None:
        status["response_code"] = response_code
    status["success"] = success
    answer: dict[str, Any] = {"data": data} if data is not None else {}
    answer["status"] = status
    return answer


def refused(message: str, response_code: str | None, result_code: str) -> AirtelError:
    """A business refusal: HTTP 200, ``success`` false."""
    return AirtelError(200, envelope(False, message, response_code, result_code))


def invalid(name: str) -> AirtelError:
    """A malformed request: HTTP 400 with Airtel's field-validation envelope."""
    body = envelope(False, f"Invalid or missing field: {name}", None, "ESB000008", code="400")
    return AirtelError(400, body)


def field(body: Mapping[str, Any], path: str) -> object:
    found: object = body
    for part in path.split("."):
        found = found.get(part) if isinstance(found, Mapping) else None
    return found


def text(
    body: Mapping[str, Any],
    path: str,
    pattern: re.Pattern[str] | None = None,
    max_chars: int = MAX_BODY_TEXT,
) -> str:
    value = field(body, path)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= max_chars:
        raise invalid(path)
    if pattern is not None and not pattern.fullmatch(value):
        raise invalid(path)
    return value


def national(body: Mapping[str, Any], path: str) -> str:
    """9 national digits, as Airtel wants them (no country code, no leading 0)."""
    value = text(body, path)
    if not _NATIONAL.fullmatch(value):
        raise refused("Invalid MSISDN Length. MSISDN Length should be 9", None, "ESB000033")
    return value


def transaction_id(body: Mapping[str, Any], path: str) -> str:
    return text(body, path, _TRANSACTION_ID)


def reference(body: Mapping[str, Any], path: str) -> str:
    return text(body, path, _REFERENCE)


def whole_kes(body: Mapping[str, Any], path: str) -> int | None:
    """A whole number of shillings (a number or digit string), or None when it is not one."""
    value = field(body, path)
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) else None


async def read_json(request: Request) -> dict[str, Any]:
    """A JSON object body, or HTTP 400 with the field-validation envelope."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise invalid("body")
    return body


def callback_body(tx: Transaction, secret: str | None) -> dict[str, Any]:
    transaction = {
        "id": tx.id,
        "message": tx.message,
        "status_code": str(tx.status),
        "airtel_money_id": tx.airtel_money_id,
    }
    body: dict[str, Any] = {"transaction": transaction}
    if secret is not None:
        body["hash"] = callback_hash(transaction, secret, ascii_only=True)
    return body


class Sim:
    def __init__(self, state: AirtelSimState, deliver: Deliver) -> None:
        self.state = state
        self.courier = Courier(deliver)

    async def authorised(self, request: Request, *, with_body: bool = True) -> dict[str, Any]:
        """The JSON body of a call that passed the gate (an empty one for a GET)."""
        state = self.state
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not state.token_valid(token.strip()):
            raise AirtelError(
                401, {"error": "invalid_token", "error_description": "Invalid or expired token"}
            )
        with state.lock:
            throttled, state.faults = state.faults.take_throttle()
        if throttled:
            raise AirtelError(429, {"error": "too_many_requests", "error_description": "Slow down"})
        country = request.headers.get("X-Country")
        currency = request.headers.get("X-Currency")
        if not country or not currency:
            raise refused("Mandatory parameters are missing in the header", None, "ROUTER003")
        if country != state.country:
            raise refused("Invalid country code provided.", None, "ROUTER006")
        if currency != state.currency:
            raise refused("Invalid currency provided.", None, "ROUTER112")
        return await read_json(request) if with_body else {}

    def callbacks(self, tx: Transaction) -> list[Call]:
        url = self.state.callback_urls.get(tx.kind)
        return [] if url is None else [(url, callback_body(tx, self.state.callback_secret))]

    def dispatch(self, tasks: BackgroundTasks, calls: list[Call], script: Script) -> None:
        """Send ``calls`` after the answer: lost, duplicated, delayed or plain."""
        if script.outcome in (Outcome.LOST, Outcome.AMBIGUOUS) or not calls:
            return
        copies = script.copies if script.outcome is Outcome.DUPLICATE else 1
        delay_s = self.state.delay_for(script) if script.outcome is Outcome.DELAYED else 0.0
        tasks.add_task(self.courier.send, Dispatch(tuple(calls), copies, delay_s))
