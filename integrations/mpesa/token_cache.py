"""Daraja's OAuth token: ``GET /oauth/v1/generate`` with Basic auth, shared and refreshed by the
rules of ``integrations.oauth_tokens`` (single flight, 90% of the lifetime, at most
``MAX_TOKEN_AGE_S``, invalidation only of the token that was refused)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx

from integrations.oauth_tokens import (
    CachedToken,
    FetchedToken,
    FileTokenStore,
    InProcessTokenStore,
    SharedTokenCache,
    TokenLockTimeout,
    TokenStore,
    TokenUnavailable,
    read_token_answer,
)

__all__ = [
    "MAX_TOKEN_AGE_S",
    "OAUTH_PATH",
    "CachedToken",
    "FileTokenStore",
    "InProcessTokenStore",
    "TokenCache",
    "TokenLockTimeout",
    "TokenStore",
    "TokenUnavailable",
]

OAUTH_PATH = "/oauth/v1/generate"
MAX_TOKEN_AGE_S = 3300
"""Refresh at most this long after fetching, whatever ``expires_in`` says (3599 today)."""


class TokenCache(SharedTokenCache):
    """The shared Daraja token, fetched with the app's consumer key and secret."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        consumer_key: str,
        consumer_secret: str,
        store: TokenStore,
        clock: Callable[[], datetime],
        oauth_path: str = OAUTH_PATH,
    ) -> None:
        auth = httpx.BasicAuth(consumer_key, consumer_secret)

        def fetch() -> FetchedToken:
            try:
                response = http.get(
                    oauth_path, params={"grant_type": "client_credentials"}, auth=auth
                )
            except httpx.HTTPError as exc:
                raise TokenUnavailable(f"OAuth request failed: {type(exc).__name__}") from exc
            return read_token_answer(response)

        super().__init__(fetch, store=store, clock=clock, max_age_s=MAX_TOKEN_AGE_S)
