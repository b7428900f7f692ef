"""The matching rules a run uses, and the names of its outcomes.

Order of matching (docs/reconciliation.md): the receipt number first (exact, and the amount
within ``amount_tolerance_minor``); then a main line together with the charge lines linked to
it against one ledger item (one-to-many); then, for lines the ledger has no receipt for, the
rules against payouts and STK prompts that carry no receipt: amount within tolerance,
completed within ``time_window_s`` of the request, the loan account number typed
(``match_reference``) and the payee's masked number (``match_phone``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

DEFAULT_TIME_WINDOW_S = 1_800
MAX_TIME_WINDOW_S = 7 * 86_400
MAX_TOLERANCE_MINOR = 100_00
SNAPSHOT_MARGIN = timedelta(days=3)
"""The ledger snapshot reaches this far beyond the period, so a receipt booked with a value
date just outside it still matches."""

MATCHED = "matched"
MISSING_IN_LEDGER = "missing_in_ledger"
MISSING_AT_PROVIDER = "missing_at_provider"
AMOUNT_MISMATCH = "amount_mismatch"
DUPLICATE = "duplicate"
CHARGE = "charge"
SETTLEMENT = "settlement"
SUSPENSE = "suspense"
NO_MOVEMENT = "no_movement"

EXCEPTION_OUTCOMES = (
    MISSING_IN_LEDGER,
    MISSING_AT_PROVIDER,
    AMOUNT_MISMATCH,
    DUPLICATE,
    CHARGE,
    SETTLEMENT,
    SUSPENSE,
)
"""Outcomes that open an exception (the others need nobody's attention)."""
FLOAT_OUTCOMES = (
    MISSING_IN_LEDGER,
    MISSING_AT_PROVIDER,
    AMOUNT_MISMATCH,
    DUPLICATE,
    CHARGE,
    SETTLEMENT,
)
"""Outcomes whose difference explains part of a float difference."""


class InvalidRules(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class MatchRules:
    amount_tolerance_minor: int = 0
    time_window_s: int = DEFAULT_TIME_WINDOW_S
    match_reference: bool = True
    """An STK prompt matches a line only if the line's A/C No. is the prompt's loan."""
    match_phone: bool = True
    """A payout matches a line only if the line's masked number fits the payee's."""
    group_charges: bool = True
    """One-to-many: a ledger item may equal a main line plus its linked charge lines."""

    def __post_init__(self) -> None:
        if not 0 <= self.amount_tolerance_minor <= MAX_TOLERANCE_MINOR:
            raise InvalidRules(f"amount tolerance must be 0 to {MAX_TOLERANCE_MINOR} cents")
        if not 0 < self.time_window_s <= MAX_TIME_WINDOW_S:
            raise InvalidRules(f"time window must be 1 to {MAX_TIME_WINDOW_S} seconds")

    @property
    def time_window(self) -> timedelta:
        return timedelta(seconds=self.time_window_s)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(values: dict[str, Any]) -> MatchRules:
        known = set(MatchRules.__dataclass_fields__)
        return MatchRules(**{k: v for k, v in values.items() if k in known})
