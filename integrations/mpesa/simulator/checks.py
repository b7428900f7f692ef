"""Strict request checks answering with Daraja's error envelopes, and callback delivery."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import httpx

logger = logging.getLogger(__name__)

Deliver = Callable[[str, dict[str, Any]], object]
"""``deliver(url, body)`` sends one callback; its return value is the receiver's JSON answer
(read only for C2B validation) or None."""

_MSISDN = re.compile(r"254[17]\d{8}")
_WHOLE = re.compile(r"[1-9]\d{0,8}")
MAX_AMOUNT_KES = 999_999_999
"""The largest amount read at all; past the form, Daraja's limit rules decide (``limits``)."""


class DarajaError(Exception):
    """A synchronous refusal: HTTP ``status`` with Daraja's ``errorCode``/``errorMessage``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bad(name: str) -> DarajaError:
    return DarajaError(400, "400.002.02", f"Bad Request - Invalid {name}")


def text(body: Mapping[str, Any], name: str, min_len: int = 1, max_len: int = 200) -> str:
    value = body.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not min_len <= len(value) <= max_len:
        raise bad(name)
    return value


def optional_text(body: Mapping[str, Any], name: str, max_len: int = 200) -> str | None:
    """An optional field: None when absent or null, else a string of at most ``max_len``."""
    if body.get(name) is None:
        return None
    return text(body, name, 0, max_len)


def msisdn(body: Mapping[str, Any], name: str) -> str:
    value = text(body, name)
    if not _MSISDN.fullmatch(value):
        raise bad(name)
    return value


def amount_minor(
    body: Mapping[str, Any], minimum_kes: int = 1, maximum_kes: int = MAX_AMOUNT_KES
) -> int:
    """A whole number of shillings (int or digit string) in range, as cents."""
    value = text(body, "Amount")
    if not _WHOLE.fullmatch(value) or not minimum_kes <= int(value) <= maximum_kes:
        raise bad("Amount")
    return int(value) * 100


def httpx_deliverer(timeout_s: float = 5) -> Deliver:
    """For the real process: POST each callback as JSON; failures are logged, never raised.

    The log shows the host only: callback paths carry a secret token.
    """

    def deliver(url: str, body: dict[str, Any]) -> object:
        try:
            response = httpx.post(url, json=body, timeout=timeout_s)
            return response.json()
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            host = url.split("//", 1)[-1].split("/", 1)[0]
            logger.warning("callback to %s failed: %s", host, type(exc).__name__)
            return None

    return deliver
