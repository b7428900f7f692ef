"""One call to a provider's OAuth (bearer token) API under the bounds of ``http_retry``: the
loop both payment clients share.

- A refused token (the reply says so) is invalidated, one refresh shared by every worker, and
  the call is sent once more; a second refusal is the caller's to read.
- A connect error (nothing left) or a throttled reply: backoff with jitter, at most
  ``max_attempts`` sends, and only for a call that is ``repeatable``; past the bound, the
  provider's "not sent" or "throttled" error.
- A transport error after sending (the request may have arrived): the provider's "no answer".

Each provider says how it reads an answer, when an answer is throttled, and which of its
errors these are; logs carry the path and codes, never a token or a body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import httpx

from integrations.http_retry import NOT_SENT_ERRORS, RetryPolicy, backoff_delay_s
from integrations.oauth_tokens import SharedTokenCache, TokenUnavailable

logger = logging.getLogger(__name__)


class TokenAware(Protocol):
    @property
    def invalid_token(self) -> bool:
        """The gateway refused the call's token (before the provider processed it)."""
        ...


@dataclass(frozen=True, slots=True)
class CallFailures:
    """The provider's errors for the three ways a call ends without a usable answer."""

    not_sent: Callable[[str], Exception]
    no_answer: Callable[[str], Exception]
    throttled: Callable[[str], Exception]


R = TypeVar("R", bound=TokenAware)


@dataclass(frozen=True, slots=True)
class BearerCalls(Generic[R]):
    tokens: SharedTokenCache
    retry: RetryPolicy
    failures: CallFailures
    read: Callable[[httpx.Response], R]
    """The provider's reading of an HTTP answer (it raises ``no_answer`` for a bodiless 5xx)."""
    throttled: Callable[[R], str | None]
    """Why an answer is a throttling refusal (e.g. ``"HTTP 429"``), or None when it is not."""

    def send(
        self, path: str, call: Callable[[str], httpx.Response], *, repeatable: bool = True
    ) -> R:
        """``call(token)`` under the policy of the module docstring; the final answer."""
        max_attempts = max(1, self.retry.max_attempts)
        token_retried = False
        attempt = 1
        while True:
            token = self._token()
            try:
                response = call(token)
            except NOT_SENT_ERRORS as exc:
                if not repeatable or attempt >= max_attempts:
                    raise self.failures.not_sent(f"{path}: {type(exc).__name__}, not sent") from exc
                self._back_off(path, attempt, type(exc).__name__)
                attempt += 1
                continue
            except httpx.TransportError as exc:
                raise self.failures.no_answer(
                    f"{path}: {type(exc).__name__} after sending"
                ) from exc
            reply = self.read(response)
            if reply.invalid_token and not token_retried:
                logger.info("%s: token refused, refreshing once", path)
                self.tokens.invalidate(token)
                token_retried = True
                continue
            why = self.throttled(reply) if repeatable else None
            if why is not None:
                if attempt >= max_attempts:
                    raise self.failures.throttled(f"{path}: {why} after {attempt} attempts")
                self._back_off(path, attempt, why)
                attempt += 1
                continue
            return reply

    def _token(self) -> str:
        try:
            return self.tokens.token()
        except TokenUnavailable as exc:
            raise self.failures.not_sent(f"no OAuth token: {exc}") from exc

    def _back_off(self, path: str, attempt: int, why: str) -> None:
        delay_s = backoff_delay_s(attempt, self.retry.jitter())
        logger.info("%s: %s, attempt %d, retrying in %.2f s", path, why, attempt, delay_s)
        self.retry.sleep(delay_s)
