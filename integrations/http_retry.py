"""The retry bounds every provider client shares: explicit timeouts, a bounded number of sends,
exponential backoff with equal jitter, and which transport errors prove nothing was sent.

Invariant: only a call that is safe to repeat (the provider deduplicates it by our id, or it
only reads) is ever sent twice, and never more than ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=5.0, pool=5.0)
MAX_ATTEMPTS = 3
"""Sends per call for throttling and connect errors (the one token retry comes on top)."""
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 8.0

NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Raised before a single byte of the request left: always safe to send again."""


def backoff_delay_s(attempt: int, jitter: float) -> float:
    """The wait before send ``attempt + 1``: half the exponential step for sure, the other half
    scaled by ``jitter`` in [0, 1), so workers throttled together do not come back together."""
    step_s: float = min(BACKOFF_BASE_S * 2.0 ** (attempt - 1), BACKOFF_MAX_S)
    return step_s / 2 + jitter * step_s / 2


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times a client sends one call, and how it waits in between (``sleep`` and
    ``jitter`` are the seams tests replace to run without waiting)."""

    max_attempts: int = MAX_ATTEMPTS
    sleep: Callable[[float], None] = field(default=time.sleep)
    jitter: Callable[[], float] = field(default=random.random)
    """A number in [0, 1) per wait (see ``backoff_delay_s``)."""


DEFAULT_RETRY = RetryPolicy()


def json_object(response: httpx.Response, no_answer: Callable[[str], Exception]) -> dict[str, Any]:
    """The answer's JSON object, or ``{}`` for an answer without one; a 5xx without one (a
    gateway's HTML error page: the request may still have been processed) raises
    ``no_answer``."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    if response.status_code >= httpx.codes.INTERNAL_SERVER_ERROR:
        raise no_answer(f"HTTP {response.status_code} without a JSON body")
    return {}
