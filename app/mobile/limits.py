"""The app's abuse limits: which attempts are counted, per phone and per client IP.

Subjects are keyed digests (the blind index), so the counters hold no phone number or IP in
clear; the phone's digest is the one ``borrowers.phone_index`` holds. Per-IP limits are
generous because Kenyan mobile networks put many subscribers behind one carrier-grade NAT
address; per-phone limits are tight. PIN and code guesses are charged before they are tried
and forgiven when right, so only failures count (``app.security.rate_limits``).

The client IP is ``request.client.host``: behind a proxy, run uvicorn with
``--proxy-headers --forwarded-allow-ips`` set to the proxy, so it is the caller's address.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from fastapi import Request

from app.api.problems import ProblemError
from app.db.session import Sessions
from app.security.fields import BlindIndex
from app.security.rate_limits import Hit, RateRule, charge, refused

WINDOW = timedelta(minutes=15)
CODE_SENDS_PER_PHONE = RateRule("code_send_phone", 3, WINDOW)
CODE_SENDS_PER_IP = RateRule("code_send_ip", 20, WINDOW)
CODE_GUESSES_PER_PHONE = RateRule("code_guess_phone", 10, WINDOW)
"""Across codes: five tries per code, and at most two codes' worth per window."""
CODE_GUESSES_PER_IP = RateRule("code_guess_ip", 50, WINDOW)
PIN_GUESSES_PER_PHONE = RateRule("pin_guess_phone", 5, WINDOW)
"""Sign-ins and PIN changes share it: both are PIN guesses. It also covers numbers that are
not registered (which have no PIN lock to stop a guesser)."""
PIN_GUESSES_PER_IP = RateRule("pin_guess_ip", 30, WINDOW)
REGISTRATIONS_PER_PHONE = RateRule("register_phone", 5, timedelta(hours=1))
"""Each registration attempt asks the identity register: no fishing for valid IDs."""
REGISTRATIONS_PER_IP = RateRule("register_ip", 20, timedelta(hours=1))
UNKNOWN_CLIENT = "unknown"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else UNKNOWN_CLIENT


def phone_subject(blind_index: BlindIndex, msisdn: str) -> str:
    return blind_index.digest("msisdn", msisdn)


def ip_subject(blind_index: BlindIndex, ip: str) -> str:
    return blind_index.digest("client_ip", ip)


def enforce(sessions: Sessions, checks: Sequence[tuple[RateRule, str]], now: datetime) -> list[Hit]:
    """Count one attempt under each rule (committed), or refuse with 429 and ``Retry-After``."""
    hits = charge(sessions, checks, now)
    over = refused(hits)
    if over is not None:
        minutes = -(-over.retry_after_s // 60)
        raise ProblemError(
            429,
            "too_many_requests",
            f"Too many attempts: try again in {minutes} minute{'s' if minutes > 1 else ''}",
            {"Retry-After": str(over.retry_after_s)},
        )
    return hits
