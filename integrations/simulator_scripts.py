"""What both payment simulators' scripted outcomes share: a script (an outcome of the
simulator's own ``Outcome`` enum and how its callbacks travel) and reading one from a
``POST /__sim__/outcomes`` body."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from integrations.simulator_faults import InvalidFault, seconds, whole

DEFAULT_COPIES = 2
MAX_COPIES = 20
DEFAULT_DELAY_S = 3.0
MAX_DELAY_S = 600.0

OutcomeT = TypeVar("OutcomeT", bound=enum.StrEnum)


@dataclass(frozen=True)
class Script(Generic[OutcomeT]):
    """An outcome and how its callbacks travel."""

    outcome: OutcomeT
    copies: int = DEFAULT_COPIES
    """For ``duplicate``: how many deliveries, all at once."""
    delay_s: float | None = None
    """For ``delayed``: how long the callbacks wait; None: the state's ``default_delay_s``."""

    def to_json(self) -> dict[str, Any]:
        return {"outcome": str(self.outcome), "copies": self.copies, "delay_s": self.delay_s}


def read_script(
    body: Mapping[str, Any], outcomes: type[OutcomeT], default: str | None
) -> Script[OutcomeT]:
    """``{"outcome": "duplicate", "copies": 5}`` / ``{"outcome": "delayed", "delay_s": 1.5}``;
    a bad field is ``InvalidFault`` naming it."""
    try:
        outcome = outcomes(str(body.get("outcome", default)))
    except ValueError:
        raise InvalidFault("outcome") from None
    copies = whole(body.get("copies", DEFAULT_COPIES), "copies", MAX_COPIES, minimum=1)
    delay_s = body.get("delay_s")
    if delay_s is None:
        return Script(outcome, copies)
    return Script(outcome, copies, seconds(delay_s, "delay_s", MAX_DELAY_S))
