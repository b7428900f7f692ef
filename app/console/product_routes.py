"""``/console/products``: the products (every staff role, as ``GET /admin/v1/products``) and
each one's terms with a change form for makers: the fields that differ from the product's
terms become a four-eyes request through ``request_product_change`` (the same request the
API makes, decided by another officer in the inbox), and the page shows what would change.
Amounts are typed in KES, rates in basis points, the allocation order and bands as lists
separated by commas (bands empty: every opted-in borrower)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.api.deps import AppClock, AppSessions
from app.console.auth import PREFIX, MakerPost, ReaderPage, Signed
from app.console.pages import render
from app.console.proposal_routes import asked_notice, asking, kes_to_minor
from app.console.refusals import REFUSALS, said
from app.db.session import Sessions
from app.errors import DomainError
from app.products import routes as product_api
from app.products.changes import EDITABLE, NothingToChange, editable_terms
from app.products.schemas import ProductChangeIn, ProductOut
from app.staff.deps import MAKERS

router = APIRouter(prefix=PREFIX, include_in_schema=False)
AMOUNTS = ("min_amount_minor", "max_amount_minor")
LISTS = ("allocation_order", "eligible_bands")
MAX_FIELD = 100


class InvalidProductForm(DomainError, code="invalid_product_form", http_status=422):
    """A field of the product form could not be read."""


@router.get("/products")
def products(sessions: AppSessions, signed: ReaderPage) -> Response:
    with sessions.reader() as session:
        rows = product_api.list_products(session, signed.user)
        found = [ProductOut.model_validate(p) for p in rows]
    return render("products.html", signed, products=found)


def _product(sessions: Sessions, code: str, signed: Signed) -> tuple[ProductOut, dict[str, Any]]:
    """The product as the API shows it, and its editable terms."""
    with sessions.reader() as session:
        row = product_api.get_product(code, session, signed.user)
        return ProductOut.model_validate(row), editable_terms(row)


def shown_value(name: str, value: Any) -> str:
    """A term as the form shows it (amounts in KES, lists comma separated)."""
    if name in AMOUNTS:
        shillings, cents = divmod(int(value), 100)
        return f"{shillings}.{cents:02d}" if cents else str(shillings)
    if name in LISTS:
        return "" if value is None else ", ".join(value)
    if name == "active":
        return "yes" if value else "no"
    return str(value)


def _read(name: str, text: str) -> Any:
    text = text.strip()
    if name in AMOUNTS:
        return kes_to_minor(text)
    if name in LISTS:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        return None if name == "eligible_bands" and not parts else parts
    if name == "active":
        if text not in ("yes", "no"):
            raise InvalidProductForm("Active is yes or no")
        return text == "yes"
    if name == "name":
        return text
    if not text.isascii() or not text.isdigit():
        raise InvalidProductForm(f"{name} is a whole number")
    return int(text)


def changes_of(now: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The editable fields whose value in the form differs from the product's terms."""
    changed: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in form:
            continue
        value = _read(name, form[name])
        if value != now[name]:
            changed[name] = value
    if not changed:
        raise NothingToChange("The form asks for the product's terms as they are")
    return changed


def product_page(
    signed: Signed, found: tuple[ProductOut, dict[str, Any]], status: int = 200, **shown: Any
) -> Response:
    product, terms = found
    form = {name: shown_value(name, value) for name, value in terms.items()}
    return render(
        "product.html",
        signed,
        status,
        product=product,
        form=form | shown.pop("form", {}),
        diff=shown.pop("diff", None),
        may_change=signed.may(*MAKERS),
        **shown,
    )


@router.get("/products/{code}")
def product(code: product_api.Code, sessions: AppSessions, signed: ReaderPage) -> Response:
    try:
        found = _product(sessions, code, signed)
    except REFUSALS as exc:
        return render("message.html", signed, **said(exc))
    return product_page(signed, found)


async def _sent(request: Request) -> dict[str, str]:
    """The change form's fields as sent (each cut to ``MAX_FIELD``), with its reason."""
    sent = await request.form()
    keep = (*EDITABLE, "reason")
    return {name: str(sent[name])[: MAX_FIELD * 4] for name in keep if name in sent}


Sent = Annotated[dict[str, str], Depends(_sent)]


@router.post("/products/{code}/changes")
def request_change(
    code: product_api.Code, sent: Sent, sessions: AppSessions, clock: AppClock, signed: MakerPost
) -> Response:
    form = {name: sent[name][:MAX_FIELD] for name in EDITABLE if name in sent}
    reason = sent.get("reason", "")
    try:
        found = _product(sessions, code, signed)
    except REFUSALS as exc:
        return render("message.html", signed, **said(exc))
    now = found[1]
    try:
        changed = changes_of(now, form)
        body = ProductChangeIn.model_validate({"reason": reason, "changes": changed})
        asked = product_api.request_product_change(code, body, asking(sessions, clock, signed))
    except REFUSALS as exc:
        return product_page(signed, found, form=form, **said(exc))
    diff = [
        (name, shown_value(name, now[name]), shown_value(name, v)) for name, v in changed.items()
    ]
    return product_page(signed, found, notice=asked_notice(asked), diff=diff)
