"""The bearer tokens a payment simulator hands out (``/oauth/...``), shared by both: each
token expires after the provider's lifetime, and ``/__sim__/tokens/revoke`` ends them all
(to test a client's refresh on "invalid token")."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class TokenBook:
    lifetime: timedelta
    token_bytes: int
    expiries: dict[str, datetime] = field(default_factory=dict, repr=False)
    issued: int = 0

    def issue(self, now: datetime) -> str:
        token = secrets.token_urlsafe(self.token_bytes)
        self.expiries[token] = now + self.lifetime
        self.issued += 1
        return token


class IssuesTokens:
    """What a simulator state gets from holding a ``TokenBook`` as ``tokens``, under its lock."""

    tokens: TokenBook
    lock: threading.RLock
    clock: Callable[[], datetime]

    def new_token(self) -> str:
        with self.lock:
            return self.tokens.issue(self.clock())

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expires_at = self.tokens.expiries.get(token)
            return expires_at is not None and self.clock() < expires_at

    def revoke_tokens(self) -> int:
        """Invalidate every outstanding token; how many there were."""
        with self.lock:
            count = len(self.tokens.expiries)
            self.tokens.expiries.clear()
            return count
