"""Airtel over HTTP: the shared OAuth token, the headers every call carries, v2 signing, and
the retry policy. It answers ``Reply`` values; ``client`` gives them meaning.

Retry policy (as safe as the Daraja client's; the invariant: a request that may have moved
money is never sent twice under a new transaction id):

- HTTP 401 (an invalid or expired token; tokens live 180 s): the gateway refused the call
  before Airtel processed it, so the token is invalidated (one refresh shared by all workers)
  and the call is sent once more. A second refusal is final.
- HTTP 429 (throttled) and connect errors (connect/pool timeout, refused connection: nothing
  left): backoff with jitter, at most ``max_attempts`` sends, for calls safe to repeat (every
  call here is: Airtel refuses a second use of our transaction id, enquiries only read, and a
  payment is refunded once). Past the bound: ``AirtelThrottled`` / ``AirtelNotSent``.
- Read timeout, dropped connection, or a 5xx without a JSON body after sending (it may have
  arrived): ``AirtelNoAnswer``; the client turns it into UNKNOWN for requests that move money.

Logs carry the path and codes, never a token, the PIN, a key or a body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from integrations.airtel.config import AirtelConfig
from integrations.airtel.crypto import compact_json, encrypt_pin, load_public_key, sign_body
from integrations.airtel.replies import Reply
from integrations.bearer_calls import BearerCalls, CallFailures
from integrations.http_retry import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    RetryPolicy,
    json_object,
)
from integrations.oauth_tokens import (
    FetchedToken,
    InProcessTokenStore,
    SharedTokenCache,
    TokenStore,
    TokenUnavailable,
    read_token_answer,
)
from integrations.payments.port import ProviderNoAnswer, ProviderNotSent, ProviderUnavailable

logger = logging.getLogger(__name__)

TOKEN_PATH = "/auth/oauth2/token"  # noqa: S105 (a path, not a secret)
MAX_TOKEN_AGE_S = 170
"""Airtel's tokens live 180 s (``expires_in`` "180"); never keep one longer than this."""


class AirtelUnavailable(ProviderUnavailable):
    """Airtel gave no usable answer."""


class AirtelNotSent(AirtelUnavailable, ProviderNotSent):
    """Nothing reached Airtel (connect failures past the bound, or no token): safe to resend
    under the same transaction id."""


class AirtelThrottled(AirtelNotSent):
    """Airtel kept answering HTTP 429 past the retry bound."""


class AirtelNoAnswer(AirtelUnavailable, ProviderNoAnswer):
    """The request may have arrived but no answer came back: enquire before anything else."""


def _reply(response: httpx.Response) -> Reply:
    return Reply(response.status_code, json_object(response, AirtelNoAnswer))


def _throttled(reply: Reply) -> str | None:
    return "HTTP 429" if reply.throttled else None


FAILURES = CallFailures(not_sent=AirtelNotSent, no_answer=AirtelNoAnswer, throttled=AirtelThrottled)


class AirtelTransport:
    def __init__(
        self,
        config: AirtelConfig,
        *,
        clock: Callable[[], datetime],
        token_store: TokenStore | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.config = config
        self._http = httpx.Client(base_url=config.base_url, timeout=timeout, transport=transport)
        tokens = SharedTokenCache(
            self._fetch_token,
            store=token_store if token_store is not None else InProcessTokenStore(),
            clock=clock,
            max_age_s=MAX_TOKEN_AGE_S,
        )
        self._calls = BearerCalls(tokens, retry, FAILURES, _reply, _throttled)
        # Loaded once so a bad key fails at start-up, not at the first payout.
        self._public_key = load_public_key(config.public_key)

    def close(self) -> None:
        self._http.close()

    def encrypted_pin(self) -> str:
        """The disbursement PIN under Airtel's key (fresh randomised padding each time)."""
        return encrypt_pin(self.config.pin, self._public_key, self.config.rsa_padding)

    def post(self, path: str, payload: Mapping[str, Any], *, signed: bool = False) -> Reply:
        body = compact_json(payload)
        headers = {"Content-Type": "application/json"}
        if signed:
            headers |= sign_body(body, self._public_key, self.config.rsa_padding).headers()
        return self._send("POST", path, content=body, headers=headers)

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Reply:
        return self._send("GET", path, params=params, headers={})

    def _fetch_token(self) -> FetchedToken:
        payload = {
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "grant_type": "client_credentials",
        }
        try:
            response = self._http.post(TOKEN_PATH, json=payload, headers={"Accept": "*/*"})
        except httpx.HTTPError as exc:
            raise TokenUnavailable(f"OAuth request failed: {type(exc).__name__}") from exc
        return read_token_answer(response)

    def _send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Reply:
        def call(token: str) -> httpx.Response:
            all_headers = {
                **headers,
                "Accept": "*/*",
                "X-Country": self.config.country,
                "X-Currency": self.config.currency,
                "Authorization": f"Bearer {token}",
            }
            return self._http.request(
                method, path, content=content, params=params, headers=all_headers
            )

        return self._calls.send(path, call)
