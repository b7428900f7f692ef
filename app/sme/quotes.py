"""What an SME loan would cost: the rules an application must meet, and its quote with its
schedule (the engine and terms disbursement writes it with)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.lending import errors as lending_errors
from app.lending.models import OPEN_STATUSES, Loan
from app.lending.quotes import Quote, quote_new_loan
from app.money import SHILLING
from app.products.models import Product
from app.products.terms import ProductTerms
from app.sme import errors
from app.sme.limits import business_product
from app.sme.models import Business, BusinessProductRules
from app.sme.owners import owner_in_good_standing


@dataclasses.dataclass(frozen=True, slots=True)
class Ask:
    amount_minor: int
    instalments: int


def sme_terms(product: Product, instalments: int) -> ProductTerms:
    """The product's terms with the term the application chose (what the loan snapshots)."""
    return dataclasses.replace(ProductTerms.of(product), instalment_count=instalments)


def require_business(session: Session, owner_id: int) -> Business:
    business = session.scalar(select(Business).where(Business.owner_borrower_id == owner_id))
    if business is None:
        raise errors.NoBusiness("Register your business first")
    return business


def open_sme_loan(session: Session, business_id: int) -> Loan | None:
    return session.scalar(
        select(Loan).where(Loan.business_id == business_id, Loan.status.in_(OPEN_STATUSES))
    )


def checked_terms(
    session: Session, business: Business, ask: Ask, *, lock: bool = False
) -> tuple[Borrower, ProductTerms, BusinessProductRules]:
    """Every rule an SME application meets, when asked, approved and paid out."""
    owner = owner_in_good_standing(session, business.owner_borrower_id, lock=lock)
    product, rules = business_product(session)
    if not product.active:
        raise lending_errors.ProductUnavailable("The SME loan is not offered now")
    amount = ask.amount_minor
    if isinstance(amount, bool) or not isinstance(amount, int) or amount % SHILLING:
        raise lending_errors.NotWholeShillings("Borrow whole shillings")
    if amount < product.min_amount_minor:
        raise lending_errors.BelowMinimum(
            f"The least you can borrow is KES {product.min_amount_minor // SHILLING:,}"
        )
    if amount > product.max_amount_minor:
        raise lending_errors.AboveMaximum(
            f"The most you can borrow is KES {product.max_amount_minor // SHILLING:,}"
        )
    if not rules.min_instalments <= ask.instalments <= rules.max_instalments:
        raise errors.TermOutsideRange(
            f"Choose {rules.min_instalments} to {rules.max_instalments} monthly instalments"
        )
    if amount > business.limit_minor:
        raise lending_errors.OverLimit(
            f"Your business can borrow up to KES {business.limit_minor // SHILLING:,}"
        )
    if open_sme_loan(session, business.id) is not None:
        raise errors.SmeLoanOpen("Your business has an open SME loan: repay it first")
    return owner, sme_terms(product, ask.instalments), rules


def quote_sme(session: Session, owner_id: int, ask: Ask, today: date) -> Quote:
    business = require_business(session, owner_id)
    _, terms, _ = checked_terms(session, business, ask)
    return quote_new_loan(terms, ask.amount_minor, today)


def schedule_of(quote: Quote) -> list[dict[str, Any]]:
    """The quote's schedule as stored and compared: due date and total of each instalment."""
    assert quote.instalments is not None
    return [
        {
            "number": i.number,
            "due_on": i.due_date.isoformat(),
            "principal_minor": i.principal_minor,
            "interest_minor": i.interest_minor,
            "total_minor": i.total_minor,
        }
        for i in quote.instalments
    ]
