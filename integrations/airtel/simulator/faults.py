"""Fault toggles (``/__sim__/faults``) and the API family of each Airtel path.

``throttle``: the next n authorised calls answer HTTP 429. ``response_delay_s`` (with
``paths``, a list of families, and ``count``): answers held back AFTER the handler ran, so the
payment is made even when the client gives up on a read timeout (``DelayedAnswers`` and
``ResponseDelay``, shared with the M-Pesa simulator: ``integrations/simulator_faults.py``).
A ``Faults`` value is plain data; the state owns the live one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from integrations.simulator_faults import (
    DELAY_KEYS,
    DelayedAnswers,
    InvalidFault,
    seconds,
    unknown_toggle,
    whole,
)

_FAMILY_PREFIXES: tuple[tuple[str, str], ...] = (
    ("/auth/oauth2/token", "token"),
    ("/merchant/v1/payments/", "collection"),
    ("/merchant/v2/payments/", "collection"),
    ("/standard/v1/payments/refund", "refund"),
    ("/standard/v1/payments/", "collection_enquiry"),
    ("/standard/v2/disbursements/", "disbursement"),
    ("/standard/v1/disbursements/", "disbursement_enquiry"),
)
FAMILIES = frozenset(family for _, family in _FAMILY_PREFIXES) | {"disbursement_enquiry"}
MAX_THROTTLE = 1000
_KNOWN_KEYS = DELAY_KEYS | {"throttle"}
__all__ = ["FAMILIES", "Faults", "InvalidFault", "family_of", "seconds", "updated"]


def family_of(path: str) -> str | None:
    """The API family of a request path (a disbursement with an id is its enquiry)."""
    for prefix, family in _FAMILY_PREFIXES:
        if path.startswith(prefix):
            if family == "disbursement" and path != prefix:
                return "disbursement_enquiry"
            return family
    return None


@dataclass(frozen=True)
class Faults:
    throttle: int = 0
    delay: DelayedAnswers = field(default_factory=DelayedAnswers)

    def to_json(self) -> dict[str, Any]:
        return {"throttle": self.throttle, **self.delay.to_json()}

    def take_throttle(self) -> tuple[bool, Faults]:
        if self.throttle <= 0:
            return False, self
        return True, replace(self, throttle=self.throttle - 1)

    def take_response_delay(self, family: str) -> tuple[float, Faults]:
        delay_s, left = self.delay.take(family)
        return delay_s, replace(self, delay=left)


def updated(faults: Faults, body: Mapping[str, object]) -> Faults:
    """``faults`` with the toggles ``body`` names; the others are kept."""
    unknown_toggle(body, _KNOWN_KEYS)
    changes: dict[str, Any] = {"delay": faults.delay.updated(body, FAMILIES)}
    if "throttle" in body:
        changes["throttle"] = whole(body["throttle"], "throttle", MAX_THROTTLE)
    return replace(faults, **changes)
