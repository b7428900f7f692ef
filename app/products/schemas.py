"""Shapes of products and product changes in the API. Amounts are integers of minor units."""

from __future__ import annotations

from datetime import datetime

from app.api.bodies import ReasonIn, RowOut
from app.products.changes import ProductChanges


class ProductOut(RowOut):
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
    allocation_order: list[str]
    eligible_bands: list[str] | None
    active: bool
    version: int
    updated_at: datetime


class ProductChangeIn(ReasonIn):
    changes: ProductChanges
