"""The disclosure shown before a loan is confirmed (total cost of credit).

Amounts: the borrower asks for whole shillings; the cash sent is the amount less the savings
share, rounded DOWN to the shilling (mobile money moves whole shillings), and the savings take
the rest, split long-term / short-term with the long-term share rounded down to the cent.
Interest is simple, on the full amount (savings part included), to the due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.lending.interest import interest_for_term
from app.money import BP, share_of
from app.products.terms import ProductTerms

SHILLING = 100


@dataclass(frozen=True, slots=True)
class Split:
    cash_minor: int
    savings_long_minor: int
    savings_short_minor: int

    @property
    def savings_minor(self) -> int:
        return self.savings_long_minor + self.savings_short_minor


def split_disbursement(amount_minor: int, terms: ProductTerms) -> Split:
    cash = share_of(amount_minor, BP - terms.savings_bp) // SHILLING * SHILLING
    savings = amount_minor - cash
    long_term = share_of(savings, terms.savings_long_bp)
    return Split(cash, long_term, savings - long_term)


@dataclass(frozen=True, slots=True)
class Quote:
    product_code: str
    amount_minor: int
    cash_minor: int
    savings_minor: int
    savings_long_minor: int
    savings_short_minor: int
    interest_to_due_minor: int
    total_due_minor: int
    """What the borrower owes on the due date if nothing is repaid before."""
    due_on: date
    regular_rate_bp: int
    penalty_rate_bp: int
    outstanding_before_minor: int = 0
    """For a top-up: what was already owed."""


def quote_new_loan(terms: ProductTerms, amount_minor: int, today: date) -> Quote:
    split = split_disbursement(amount_minor, terms)
    interest = interest_for_term(amount_minor, terms.term_days, terms.regular_rate_bp)
    return Quote(
        terms.code,
        amount_minor,
        split.cash_minor,
        split.savings_minor,
        split.savings_long_minor,
        split.savings_short_minor,
        interest,
        amount_minor + interest,
        today + timedelta(days=terms.term_days),
        terms.regular_rate_bp,
        terms.penalty_rate_bp,
    )


def quote_top_up(
    terms: ProductTerms,
    amount_minor: int,
    today: date,
    due_on: date,
    principal_outstanding_minor: int,
    outstanding_minor: int,
) -> Quote:
    """A top-up keeps the loan's due date: interest runs on the new principal until then."""
    split = split_disbursement(amount_minor, terms)
    days_left = max((due_on - today).days, 0)
    interest = interest_for_term(
        principal_outstanding_minor + amount_minor, days_left, terms.regular_rate_bp
    )
    return Quote(
        terms.code,
        amount_minor,
        split.cash_minor,
        split.savings_minor,
        split.savings_long_minor,
        split.savings_short_minor,
        interest,
        outstanding_minor + amount_minor + interest,
        due_on,
        terms.regular_rate_bp,
        terms.penalty_rate_bp,
        outstanding_minor,
    )
