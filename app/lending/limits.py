"""The limit policy: how much a borrower may owe, and how that moves with behaviour.

- Initial limit: the first row of a rule table that the borrower's facts satisfy (SIM age,
  average monthly mobile-money inflow). A score band, when the scorecard gives one, picks
  the band's limit instead (``band_limits``): that is the seam the scoring module plugs into.
- Step-up after a loan repaid in full on time: +40% after 2-4 such loans, +60% after 5-9,
  +100% from 10 (the fund's November 2023 rule), rounded down to whole shillings, capped at
  the product maximum.
- Default: the limit falls back to the floor and the band is cleared (the score is lost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

KES = 100  # cents


@dataclass(frozen=True, slots=True)
class InitialLimitRule:
    min_sim_age_days: int
    min_monthly_inflow_minor: int
    limit_minor: int


@dataclass(frozen=True, slots=True)
class StepUp:
    min_loans_repaid: int
    increase_bp: int
    """Increase in basis points of the current limit (4000 = +40%)."""


DEFAULT_INITIAL_RULES = (
    InitialLimitRule(
        min_sim_age_days=730, min_monthly_inflow_minor=30_000 * KES, limit_minor=2_000 * KES
    ),
    InitialLimitRule(
        min_sim_age_days=365, min_monthly_inflow_minor=10_000 * KES, limit_minor=1_000 * KES
    ),
    InitialLimitRule(min_sim_age_days=90, min_monthly_inflow_minor=0, limit_minor=500 * KES),
)
DEFAULT_STEP_UPS = (StepUp(10, 10_000), StepUp(5, 6_000), StepUp(2, 4_000))
DEFAULT_BAND_LIMITS: Mapping[str, int] = {
    "A1": 10_000 * KES,
    "A2": 7_500 * KES,
    "A3": 5_000 * KES,
    "B1": 3_000 * KES,
    "B2": 2_000 * KES,
    "B3": 1_500 * KES,
    "C1": 1_000 * KES,
    "C2": 750 * KES,
    "C3": 500 * KES,
}


@dataclass(frozen=True, slots=True)
class LimitFacts:
    sim_age_days: int
    monthly_inflow_minor: int
    band: str | None = None


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    initial_rules: Sequence[InitialLimitRule] = DEFAULT_INITIAL_RULES
    step_ups: Sequence[StepUp] = DEFAULT_STEP_UPS
    band_limits: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_BAND_LIMITS))
    floor_minor: int = 100 * KES
    """The limit after a default (and the least any opted-in borrower is offered)."""
    ceiling_minor: int = 50_000 * KES
    """The product maximum: no rule lifts a limit above it."""

    def initial(self, facts: LimitFacts) -> int:
        if facts.band is not None and facts.band in self.band_limits:
            return self._clamp(self.band_limits[facts.band])
        for rule in self.initial_rules:
            if (
                facts.sim_age_days >= rule.min_sim_age_days
                and facts.monthly_inflow_minor >= rule.min_monthly_inflow_minor
            ):
                return self._clamp(rule.limit_minor)
        return self.floor_minor

    def after_on_time_repayment(self, current_minor: int, loans_repaid_on_time: int) -> int:
        """The limit once the ``loans_repaid_on_time``-th loan is repaid on time."""
        for step in self.step_ups:  # highest threshold first
            if loans_repaid_on_time >= step.min_loans_repaid:
                raised = current_minor * (10_000 + step.increase_bp) // 10_000
                return self._clamp(raised // KES * KES)
        return current_minor

    def after_default(self) -> int:
        return self.floor_minor

    def _clamp(self, limit_minor: int) -> int:
        return max(self.floor_minor, min(limit_minor, self.ceiling_minor))
