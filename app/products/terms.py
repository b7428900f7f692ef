"""A product's terms as an immutable value, from a ``Product`` row or a loan's snapshot.

Snapshots taken before instalment products existed lack the schedule fields: they read as
bullet terms (``kind`` = ``bullet``, no schedule), which is what those loans are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from app.loan_math.interest import RateSchedule
from app.loan_math.schedules.daycount import DayCount
from app.loan_math.schedules.due_dates import Frequency
from app.loan_math.schedules.rounding import Rounding
from app.loan_math.schedules.terms import Method, ScheduleTerms
from app.products.models import Product

ALLOCATION_PARTS = frozenset({"penalty", "interest", "principal"})
BULLET = "bullet"
INSTALMENT = "instalment"
_SCHEDULE_DEFAULTS: dict[str, Any] = {
    "kind": BULLET,
    "schedule_method": None,
    "schedule_frequency": None,
    "instalment_count": None,
    "schedule_rounding": None,
    "schedule_day_count": None,
    "grace_principal": 0,
    "grace_interest": 0,
    "default_after_dpd": None,
}


@dataclass(frozen=True, slots=True)
class ProductTerms:
    code: str
    name: str
    min_amount_minor: int
    max_amount_minor: int
    term_days: int
    regular_rate_bp: int
    penalty_rate_bp: int
    penalty_from_day: int
    default_day: int
    accrual_stop_day: int
    savings_bp: int
    savings_long_bp: int
    allocation_order: tuple[str, ...]
    eligible_bands: tuple[str, ...] | None
    version: int
    kind: str = BULLET
    schedule_method: str | None = None
    schedule_frequency: str | None = None
    instalment_count: int | None = None
    schedule_rounding: str | None = None
    schedule_day_count: str | None = None
    grace_principal: int = 0
    grace_interest: int = 0
    default_after_dpd: int | None = None

    @property
    def is_instalment(self) -> bool:
        return self.kind == INSTALMENT

    def schedule_terms(self, principal_minor: int, start: date) -> ScheduleTerms:
        """The schedule contract of a loan of ``principal_minor`` disbursed on ``start``
        (``InvalidTerms`` if the product is not instalment-kind or the terms are bad)."""
        if not self.is_instalment or self.instalment_count is None:
            raise ValueError(f"product {self.code} has no repayment schedule")
        return ScheduleTerms(
            principal_minor=principal_minor,
            annual_rate_percent=Decimal(self.regular_rate_bp) / 100,
            method=Method(str(self.schedule_method)),
            frequency=Frequency(str(self.schedule_frequency)),
            term=self.instalment_count,
            start=start,
            grace_principal=self.grace_principal,
            grace_interest=self.grace_interest,
            rounding=Rounding(str(self.schedule_rounding)),
            day_count=DayCount(str(self.schedule_day_count)),
        )

    @property
    def schedule(self) -> RateSchedule:
        return RateSchedule(
            self.regular_rate_bp, self.penalty_rate_bp, self.penalty_from_day, self.accrual_stop_day
        )

    def snapshot(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["allocation_order"] = list(self.allocation_order)
        out["eligible_bands"] = list(self.eligible_bands) if self.eligible_bands else None
        return out

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> ProductTerms:
        values = {
            f.name: data[f.name] if f.name in data else _SCHEDULE_DEFAULTS[f.name]
            for f in fields(cls)
        }
        values["allocation_order"] = tuple(data["allocation_order"])
        bands = data.get("eligible_bands")
        values["eligible_bands"] = tuple(bands) if bands else None
        return cls(**values)

    @classmethod
    def of(cls, product: Product) -> ProductTerms:
        return cls.from_snapshot(product.as_terms())
