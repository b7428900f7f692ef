"""One OAuth2 client-credentials token per provider, shared by every worker and refreshed by one
of them at a time.

Daraja's FAQ says each new token invalidates the previous one, and Airtel's tokens live only
180 s, so workers that each fetched their own would knock each other's token out or fetch far
too often. Hence, for every provider:

- the token lives in a ``TokenStore`` (in-process, or a shared file for several local
  processes; Redis or the database would fit the same protocol);
- a refresh happens under the store's lock, and re-reads the store first: the first worker in
  refreshes, the others wait on the lock and then find the new token (single flight);
- a token is refreshed early, at 90% of its lifetime and at most ``max_age_s`` after it was
  fetched;
- ``invalidate(token)`` drops the stored token only if it is still that token, so eight
  workers that all saw "invalid token" cause one refresh, not eight.

How a token is fetched (GET with Basic auth for Daraja, a JSON POST for Airtel) is the
provider's ``fetch``; everything else is here.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import httpx

REFRESH_AT_PERCENT = 90
"""Refresh when this share of the announced lifetime has passed."""
LOCK_WAIT_S = 30.0
"""How long a worker waits for another's refresh (two HTTP timeouts and some) before failing."""
LOCK_POLL_S = 0.05
TOKEN_FILE_MODE = 0o600  # the token is a bearer secret


class TokenUnavailable(Exception):
    """No token could be fetched (provider unreachable, keys refused, or a garbled answer)."""


class TokenLockTimeout(TokenUnavailable):
    """Another worker held the refresh lock for longer than ``LOCK_WAIT_S``."""


@dataclass(frozen=True, slots=True)
class CachedToken:
    access_token: str
    refresh_at: datetime
    """When to fetch a new one (before the provider's expiry)."""

    def __repr__(self) -> str:  # never show the bearer token in a log or traceback
        return f"CachedToken(access_token='***', refresh_at={self.refresh_at.isoformat()})"


class TokenStore(Protocol):
    """Where the shared token lives, and the lock that makes a refresh single-flight."""

    def get(self) -> CachedToken | None: ...

    def set(self, token: CachedToken | None) -> None:
        """Store ``token``; ``None`` forgets the stored one."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Hold the refresh lock (raises ``TokenLockTimeout`` when it cannot be had in time)."""
        ...


class InProcessTokenStore:
    """One token for the threads of one process."""

    def __init__(self, lock_wait_s: float = LOCK_WAIT_S) -> None:
        self._token: CachedToken | None = None
        self._lock = threading.Lock()
        self._lock_wait_s = lock_wait_s

    def get(self) -> CachedToken | None:
        return self._token  # one attribute read: atomic

    def set(self, token: CachedToken | None) -> None:
        self._token = token

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        if not self._lock.acquire(timeout=self._lock_wait_s):
            raise TokenLockTimeout(f"token refresh lock not free within {self._lock_wait_s} s")
        try:
            yield
        finally:
            self._lock.release()


class FileTokenStore:
    """One token for several local processes: a JSON file, replaced atomically, plus a lock file.

    The lock is ``flock`` on ``<path>.lock``. Each ``lock()`` opens its own file description, so
    it excludes other threads of this process as well as other processes.
    """

    def __init__(
        self,
        path: Path,
        lock_wait_s: float = LOCK_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self._max_polls = max(1, int(lock_wait_s / LOCK_POLL_S))
        self._lock_wait_s = lock_wait_s
        self._sleep = sleep

    def get(self) -> CachedToken | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return CachedToken(
                str(data["access_token"]), datetime.fromisoformat(data["refresh_at"])
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent or unreadable: the caller refreshes

    def set(self, token: CachedToken | None) -> None:
        if token is None:
            self.path.unlink(missing_ok=True)
            return
        data = {"access_token": token.access_token, "refresh_at": token.refresh_at.isoformat()}
        fd, tmp_name = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name + ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as tmp:
                json.dump(data, tmp)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.chmod(tmp_name, TOKEN_FILE_MODE)
            os.replace(tmp_name, self.path)  # readers see the old file or the new, never half
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, TOKEN_FILE_MODE)
        try:
            self._acquire(fd)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _acquire(self, fd: int) -> None:
        # Polled rather than blocking so a stuck holder cannot hang every worker forever.
        for _ in range(self._max_polls):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                self._sleep(LOCK_POLL_S)
        raise TokenLockTimeout(f"token refresh lock not free within {self._lock_wait_s} s")


def refresh_delay(expires_in_s: int, max_age_s: int) -> timedelta:
    """How long after fetching a token with this lifetime to fetch the next."""
    return timedelta(seconds=min(expires_in_s * REFRESH_AT_PERCENT // 100, max_age_s))


@dataclass(frozen=True, slots=True)
class FetchedToken:
    access_token: str
    expires_in_s: int

    def __repr__(self) -> str:  # never show the bearer token in a log or traceback
        return f"FetchedToken(access_token='***', expires_in_s={self.expires_in_s})"


TokenFetch = Callable[[], FetchedToken]
"""Ask the provider for a new token; raises ``TokenUnavailable`` when none can be had."""


def read_token_answer(response: httpx.Response) -> FetchedToken:
    """An OAuth answer ``{"access_token", "expires_in"}`` (a number or a string, by provider)."""
    if response.status_code != httpx.codes.OK:
        raise TokenUnavailable(f"OAuth answered HTTP {response.status_code}")
    try:
        body = response.json()
        access_token = str(body["access_token"])
        expires_in_s = int(str(body["expires_in"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenUnavailable("OAuth answer has no usable access_token/expires_in") from exc
    if not access_token or expires_in_s <= 0:
        raise TokenUnavailable("OAuth answer has an empty token or lifetime")
    return FetchedToken(access_token, expires_in_s)


class SharedTokenCache:
    """Hands out the shared token; fetches a new one only when it is due or invalidated."""

    def __init__(
        self,
        fetch: TokenFetch,
        *,
        store: TokenStore,
        clock: Callable[[], datetime],
        max_age_s: int,
    ) -> None:
        self._fetch = fetch
        self._store = store
        self._clock = clock
        self._max_age_s = max_age_s

    def token(self) -> str:
        cached = self._store.get()
        if cached is not None and self._clock() < cached.refresh_at:
            return cached.access_token
        with self._store.lock():
            cached = self._store.get()  # another worker may have refreshed while we waited
            if cached is not None and self._clock() < cached.refresh_at:
                return cached.access_token
            fetched_at = self._clock()  # before the call: errs towards refreshing early
            fetched = self._fetch()
            fresh = CachedToken(
                fetched.access_token,
                fetched_at + refresh_delay(fetched.expires_in_s, self._max_age_s),
            )
            self._store.set(fresh)
            return fresh.access_token

    def invalidate(self, token: str) -> None:
        """The provider refused ``token``: forget it, unless another worker replaced it."""
        with self._store.lock():
            cached = self._store.get()
            if cached is not None and cached.access_token == token:
                self._store.set(None)
