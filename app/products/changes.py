"""Product changes under maker-checker: a product's terms are data, edited by two people.

The request stores the fields asked for and the product version the maker saw. On approval
the change is refused if the product moved on since (another change was approved), and the
merged terms are validated again, the same rules as the ``products`` CHECK constraints plus
those the database cannot express (allocation order a permutation, bands known). Loans keep
the terms they were made with (``loans.product_terms``), so a change affects new loans only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals.kinds import Approved, DecisionPolicy, KindRules
from app.approvals.models import ApprovalKind
from app.errors import DomainError
from app.products.models import Product
from app.products.terms import ALLOCATION_PARTS
from ledger import Ledger
from ledger.types import MAX_AMOUNT_MINOR

Band = Literal["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3"]
AllocationPart = Literal["penalty", "interest", "principal"]
MAX_DAYS = 3_650
MAX_RATE_BP = 10_000  # 100% a year: far above any product, a guard against a typo


class ProductNotFound(DomainError, code="product_not_found", http_status=404): ...


class ProductChanged(DomainError, code="product_changed", http_status=409):
    """The product was changed after the request was made: ask again on the new terms."""


class InvalidProductTerms(DomainError, code="invalid_product_terms"): ...


class NothingToChange(DomainError, code="nothing_to_change"): ...


class ProductChanges(BaseModel):
    """Fields of a product to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    min_amount_minor: StrictInt | None = Field(None, ge=1, le=MAX_AMOUNT_MINOR)
    max_amount_minor: StrictInt | None = Field(None, ge=1, le=MAX_AMOUNT_MINOR)
    term_days: StrictInt | None = Field(None, ge=1, le=MAX_DAYS)
    regular_rate_bp: StrictInt | None = Field(None, ge=0, le=MAX_RATE_BP)
    penalty_rate_bp: StrictInt | None = Field(None, ge=0, le=MAX_RATE_BP)
    penalty_from_day: StrictInt | None = Field(None, ge=1, le=MAX_DAYS)
    default_day: StrictInt | None = Field(None, ge=1, le=MAX_DAYS)
    accrual_stop_day: StrictInt | None = Field(None, ge=1, le=MAX_DAYS)
    savings_bp: StrictInt | None = Field(None, ge=0, le=9_999)
    savings_long_bp: StrictInt | None = Field(None, ge=0, le=10_000)
    allocation_order: list[AllocationPart] | None = Field(None, min_length=3, max_length=3)
    eligible_bands: list[Band] | None = Field(None, min_length=1, max_length=9)
    """null: every opted-in borrower."""
    active: StrictBool | None = None


class EditableTerms(BaseModel):
    """A product's editable terms as a whole, after a change: must be consistent."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    min_amount_minor: StrictInt = Field(ge=1, le=MAX_AMOUNT_MINOR)
    max_amount_minor: StrictInt = Field(ge=1, le=MAX_AMOUNT_MINOR)
    term_days: StrictInt = Field(ge=1, le=MAX_DAYS)
    regular_rate_bp: StrictInt = Field(ge=0, le=MAX_RATE_BP)
    penalty_rate_bp: StrictInt = Field(ge=0, le=MAX_RATE_BP)
    penalty_from_day: StrictInt = Field(ge=1, le=MAX_DAYS)
    default_day: StrictInt = Field(ge=1, le=MAX_DAYS)
    accrual_stop_day: StrictInt = Field(ge=1, le=MAX_DAYS)
    savings_bp: StrictInt = Field(ge=0, le=9_999)
    savings_long_bp: StrictInt = Field(ge=0, le=10_000)
    allocation_order: list[AllocationPart]
    eligible_bands: list[Band] | None = Field(min_length=1, max_length=9)
    active: StrictBool

    @model_validator(mode="after")
    def _consistent(self) -> EditableTerms:
        if self.max_amount_minor < self.min_amount_minor:
            raise ValueError("max_amount_minor is below min_amount_minor")
        if not self.penalty_from_day <= self.default_day <= self.accrual_stop_day:
            raise ValueError("need penalty_from_day <= default_day <= accrual_stop_day")
        if sorted(self.allocation_order) != sorted(ALLOCATION_PARTS):
            raise ValueError("allocation_order is an order of penalty, interest, principal")
        if self.eligible_bands is not None and len(set(self.eligible_bands)) != len(
            self.eligible_bands
        ):
            raise ValueError("eligible_bands lists a band twice")
        return self


EDITABLE = tuple(EditableTerms.model_fields)


def editable_terms(product: Product) -> dict[str, Any]:
    return {name: getattr(product, name) for name in EDITABLE}


class ProductChangeHandler(KindRules):
    kind = ApprovalKind.PRODUCT_CHANGE
    effect = "product.change"
    policy = DecisionPolicy(expires_after=timedelta(days=7))

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        product = _product(session, asked["product_code"])
        return {
            "product_code": product.code,
            "changes": dict(asked["changes"]),
            "base_version": product.version,
        }

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "product", payload["product_code"]

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        product = _product(session, payload["product_code"], lock=True)
        if product.version != payload["base_version"]:
            raise ProductChanged(
                f"Product {product.code} changed since the request "
                f"(version {payload['base_version']} -> {product.version}): ask again"
            )
        current = editable_terms(product)
        changes: dict[str, Any] = payload["changes"]
        if not changes or all(current[k] == v for k, v in changes.items()):
            raise NothingToChange(f"Product {product.code} already has these terms")
        try:
            EditableTerms.model_validate({**current, **changes})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'terms'}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidProductTerms(f"The product's terms would be invalid: {problems}") from None
        return {**{k: current[k] for k in changes}, "version": product.version}

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, _, approval, _, now = approved.parts()
        product = _product(session, approval.payload["product_code"])
        changes: dict[str, Any] = approval.payload["changes"]
        for name, value in changes.items():
            setattr(product, name, value)
        product.version += 1
        product.updated_at = now
        session.flush()
        return {**changes, "version": product.version}


def _product(session: Session, code: str, lock: bool = False) -> Product:
    query = select(Product).where(Product.code == code)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    product = session.scalar(query)
    if product is None:
        raise ProductNotFound(f"No product {code!r}")
    return product


PRODUCT_CHANGE = ProductChangeHandler()
