"""Fault toggles (``/__sim__/faults``) and the API family of each Airtel path.

``throttle``: the next n authorised calls answer HTTP 429. ``response_delay_s`` (with
``paths``, a list of families, and ``count``): answers held back AFTER the handler ran (the
shared ``ResponseDelay`` middleware), so the payment is made even when the client gives up on
a read timeout. A ``Faults`` value is plain data; the state owns the live one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

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
MAX_RESPONSE_DELAY_S = 300.0
MAX_DELAY_COUNT = 1000
_KNOWN_KEYS = frozenset({"throttle", "response_delay_s", "paths", "count"})


def family_of(path: str) -> str | None:
    """The API family of a request path (a disbursement with an id is its enquiry)."""
    for prefix, family in _FAMILY_PREFIXES:
        if path.startswith(prefix):
            if family == "disbursement" and path != prefix:
                return "disbursement_enquiry"
            return family
    return None


class InvalidFault(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class Faults:
    throttle: int = 0
    response_delay_s: float = 0.0
    paths: frozenset[str] = frozenset()
    count: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "throttle": self.throttle,
            "response_delay_s": self.response_delay_s,
            "paths": sorted(self.paths),
            "count": self.count,
        }

    def take_throttle(self) -> tuple[bool, Faults]:
        if self.throttle <= 0:
            return False, self
        return True, replace(self, throttle=self.throttle - 1)

    def take_response_delay(self, family: str) -> tuple[float, Faults]:
        if self.response_delay_s <= 0 or (self.paths and family not in self.paths):
            return 0.0, self
        if self.count is None:
            return self.response_delay_s, self
        if self.count <= 1:
            return self.response_delay_s, replace(self, response_delay_s=0.0, count=None)
        return self.response_delay_s, replace(self, count=self.count - 1)


def _whole(value: object, name: str, maximum: int, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidFault(name)
    return value


def seconds(value: object, name: str, maximum: float) -> float:
    """A finite number of seconds in ``[0, maximum]``; anything else is ``InvalidFault``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= maximum
    ):
        raise InvalidFault(name)
    return float(value)


def updated(faults: Faults, body: Mapping[str, object]) -> Faults:
    """``faults`` with the toggles ``body`` names; the others are kept."""
    unknown = set(body) - _KNOWN_KEYS
    if unknown:
        raise InvalidFault(sorted(unknown)[0])
    changes: dict[str, Any] = {}
    if "throttle" in body:
        changes["throttle"] = _whole(body["throttle"], "throttle", MAX_THROTTLE)
    if "response_delay_s" in body:
        changes["response_delay_s"] = seconds(
            body["response_delay_s"], "response_delay_s", MAX_RESPONSE_DELAY_S
        )
    if "paths" in body:
        paths = body["paths"] or []
        if not isinstance(paths, list) or not all(p in FAMILIES for p in paths):
            raise InvalidFault("paths")
        changes["paths"] = frozenset(paths)
    if "count" in body:
        count = body["count"]
        changes["count"] = None if count is None else _whole(count, "count", MAX_DELAY_COUNT, 1)
    return replace(faults, **changes)
