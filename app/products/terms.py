"""A product's terms as an immutable value, from a ``Product`` row or a loan's snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from app.loan_math.interest import RateSchedule
from app.products.models import Product

ALLOCATION_PARTS = frozenset({"penalty", "interest", "principal"})


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
        values = {f.name: data[f.name] for f in fields(cls)}
        values["allocation_order"] = tuple(data["allocation_order"])
        bands = data.get("eligible_bands")
        values["eligible_bands"] = tuple(bands) if bands else None
        return cls(**values)

    @classmethod
    def of(cls, product: Product) -> ProductTerms:
        return cls.from_snapshot(product.as_terms())
