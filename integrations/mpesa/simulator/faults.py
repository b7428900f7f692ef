"""Global fault toggles (``/__sim__/faults``) and the API family of each Daraja path.

A ``Faults`` value is plain data; ``SimulatorState`` owns the live one and changes it under its
lock. The response delay (``DelayedAnswers``, applied by ``ResponseDelay``) is shared with the
Airtel simulator: ``integrations/simulator_faults.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from integrations.simulator_faults import (
    DELAY_KEYS,
    DelayedAnswers,
    InvalidFault,
    unknown_toggle,
    whole,
)

API_FAMILIES: dict[str, str] = {
    "/oauth/v1/generate": "oauth",
    "/mpesa/b2c/v3/paymentrequest": "b2c",
    "/mpesa/b2c/v1/paymentrequest": "b2c",
    "/mpesa/stkpush/v1/processrequest": "stk",
    "/mpesa/stkpushquery/v1/query": "stk_query",
    "/mpesa/c2b/v1/registerurl": "c2b",
    "/mpesa/c2b/v1/simulate": "c2b",
    "/mpesa/c2b/v2/registerurl": "c2b",
    "/mpesa/c2b/v2/simulate": "c2b",
    "/mpesa/transactionstatus/v1/query": "status",
    "/mpesa/accountbalance/v1/query": "balance",
    "/mpesa/reversal/v1/request": "reversal",
}
"""Each Daraja path's family, as named in ``paths`` of ``POST /__sim__/faults``."""
FAMILIES = frozenset(API_FAMILIES.values())

MAX_SPIKE_ARREST = 1000
_KNOWN_KEYS = DELAY_KEYS | {"spike_arrest", "early_query_pending"}
__all__ = ["API_FAMILIES", "FAMILIES", "Faults", "InvalidFault", "updated"]


@dataclass(frozen=True)
class Faults:
    spike_arrest: int = 0
    """How many more authorised API calls answer 500.003.02 Spike Arrest Violation."""
    delay: DelayedAnswers = field(default_factory=DelayedAnswers)
    early_query_pending: bool = False
    """STK queries answer "The transaction is being processed", even for closed prompts."""

    def to_json(self) -> dict[str, Any]:
        return {
            "spike_arrest": self.spike_arrest,
            **self.delay.to_json(),
            "early_query_pending": self.early_query_pending,
        }

    def take_spike_arrest(self) -> tuple[bool, Faults]:
        """Whether this call is throttled, and the faults after it."""
        if self.spike_arrest <= 0:
            return False, self
        return True, replace(self, spike_arrest=self.spike_arrest - 1)

    def take_response_delay(self, family: str) -> tuple[float, Faults]:
        """The delay for an answer of ``family`` (0: none), and the faults after it."""
        delay_s, left = self.delay.take(family)
        return delay_s, replace(self, delay=left)


def updated(faults: Faults, body: Mapping[str, object]) -> Faults:
    """``faults`` with the toggles ``body`` sets; the toggles it does not name are kept."""
    unknown_toggle(body, _KNOWN_KEYS)
    changes: dict[str, Any] = {"delay": faults.delay.updated(body, FAMILIES)}
    if "spike_arrest" in body:
        changes["spike_arrest"] = whole(body["spike_arrest"], "spike_arrest", MAX_SPIKE_ARREST)
    if "early_query_pending" in body:
        if not isinstance(body["early_query_pending"], bool):
            raise InvalidFault("early_query_pending")
        changes["early_query_pending"] = body["early_query_pending"]
    return replace(faults, **changes)
