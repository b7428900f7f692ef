"""``/admin/v1/products``: the products, and requests to change them (maker-checker)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from app.api.deps import ReadSession
from app.approvals.requests import ASKS, MakerAsks
from app.approvals.schemas import ApprovalOut
from app.products.changes import PRODUCT_CHANGE, ProductNotFound
from app.products.models import Product
from app.products.schemas import ProductChangeIn, ProductOut
from app.staff.deps import ADMIN_PREFIX, Reader

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: products"])
Code = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")]


@router.get("/products", response_model=list[ProductOut])
def list_products(session: ReadSession, _: Reader) -> list[Product]:
    return list(session.scalars(select(Product).order_by(Product.code)))


@router.get("/products/{code}", response_model=ProductOut)
def get_product(code: Code, session: ReadSession, _: Reader) -> Product:
    product = session.scalar(select(Product).where(Product.code == code))
    if product is None:
        raise ProductNotFound(f"No product {code!r}")
    return product


@router.post("/products/{code}/changes", **ASKS)
def request_product_change(code: Code, body: ProductChangeIn, asks: MakerAsks) -> ApprovalOut:
    """Ask for a change of terms; another staff member approves it (admin)."""
    asked = {"product_code": code, "changes": body.changes.model_dump(exclude_unset=True)}
    return asks(PRODUCT_CHANGE, asked, body.reason)
