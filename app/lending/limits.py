"""The limit policy: how much a borrower may owe, and how that moves with behaviour.

- Initial limit, scored: the band's limit (``band_limits``, A1 KES 10,000 .. C3 KES 500).
  Thin file (too little history to score): the entry limit, KES 500. With no scorecard
  active yet: the first row of a rule table that the borrower's facts satisfy (SIM age,
  average monthly mobile-money inflow).
- Rescoring (every 4 months, and after a loan is repaid or defaults): a better band lifts
  the limit to the band's limit at once; a band in ``lowering_bands`` (C1..C3, odds of
  repaying under 5:1) lowers it to the band's limit; otherwise the limit stays, so limits
  earned by repaying on time are not taken away by a small move of the score. While the
  borrower is in default the limit stays at the floor whatever the score.
- Step-up after a loan repaid in full on time: +40% after 2-4 such loans, +60% after 5-9,
  +100% from 10 (the fund's November 2023 rule), rounded down to whole shillings, capped at
  the product maximum.
- Default: the limit falls back to the floor and the band is cleared (the score is lost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

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


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    initial_rules: Sequence[InitialLimitRule] = DEFAULT_INITIAL_RULES
    step_ups: Sequence[StepUp] = DEFAULT_STEP_UPS
    band_limits: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_BAND_LIMITS))
    floor_minor: int = 100 * KES
    """The limit after a default (and the least any opted-in borrower is offered)."""
    ceiling_minor: int = 50_000 * KES
    """The product maximum: no rule lifts a limit above it."""
    thin_file_minor: int = 500 * KES
    """The entry limit of a borrower with too little history to score."""
    lowering_bands: frozenset[str] = frozenset({"C1", "C2", "C3"})
    """Bands whose rescoring may lower a limit (to the band's limit)."""
    rescore_interval: timedelta = timedelta(days=120)
    """How long a score holds before the borrower is scored again (four months)."""

    def scored(self, band: str) -> int:
        """The limit of a newly scored borrower in ``band``."""
        return self._clamp(self.band_limits[band])

    def after_rescore(self, current_minor: int, band: str, in_default: bool) -> int:
        if in_default:
            return self.floor_minor
        target = self.scored(band)
        if target > current_minor or band in self.lowering_bands:
            return target
        return current_minor

    def initial(self, facts: LimitFacts) -> int:
        """The rule table's limit (used while no scorecard is active)."""
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
