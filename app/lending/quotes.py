"""The disclosure shown before a loan is confirmed (total cost of credit).

Amounts: the borrower asks for whole shillings; the cash sent is the amount less the savings
share, rounded DOWN to the shilling (mobile money moves whole shillings), and the savings take
the rest, split long-term / short-term with the long-term share rounded down to the cent.
Interest is simple, on the full amount (savings part included), to the due date.

An instalment product's quote also lists its schedule (``instalments``), from the same engine
and terms the loan's schedule will be written with at disbursement
(``app.loan_math.schedules``): the interest is the schedule's total interest (the total cost
of credit: there are no fees), the due date the last instalment's.

A credit balance (earlier overpayments) is applied to the loan when the money arrives, so the
quote applies it too: the total due, the interest and every screen and SMS that repeat them
are for the debt that is left after the credit (``credit_applied_minor`` says how much).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.lending import errors
from app.lending.allocation import allocate
from app.lending.models import Loan
from app.loan_math.interest import interest_for_term
from app.loan_math.schedules.methods import generate
from app.loan_math.schedules.schedule import Instalment, Schedule
from app.loan_math.schedules.terms import InvalidTerms
from app.money import BP, SHILLING, share_of
from app.products.terms import ProductTerms


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
    credit_applied_minor: int = 0
    """The borrower's credit balance applied to the loan at payout (already taken off
    ``total_due_minor``)."""
    instalments: tuple[Instalment, ...] | None = None
    """An instalment product's schedule as it will be written at disbursement today (a
    credit applied at payout then prepays principal from the last instalment back); None for
    a bullet product."""


@dataclass(frozen=True, slots=True)
class Owed:
    """What an open loan owes now, by part."""

    penalty_minor: int = 0
    interest_minor: int = 0
    principal_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.penalty_minor + self.interest_minor + self.principal_minor


def owed_by(loan: Loan) -> Owed:
    return Owed(
        loan.penalty_outstanding_minor,
        loan.interest_outstanding_minor,
        loan.principal_outstanding_minor,
    )


def total_due_on_due_date(loan: Loan, today: date) -> int:
    """What an open loan will owe on its due date if nothing more is paid (what the SMS at
    payout tells the borrower, and what the quote said)."""
    assert loan.due_on is not None, f"loan {loan.id} has not started"
    rate_bp = ProductTerms.from_snapshot(loan.product_terms).regular_rate_bp
    return due_on_due_date(owed_by(loan), (loan.due_on - today).days, rate_bp)[1]


def due_on_due_date(owed: Owed, days_left: int, rate_bp: int) -> tuple[int, int]:
    """(interest still to come, total owed on the due date) if nothing more is paid: the
    principal accrues simple interest for the days left."""
    interest = interest_for_term(owed.principal_minor, max(days_left, 0), rate_bp)
    return interest, owed.total_minor + interest


def after_credit(owed: Owed, credit_balance_minor: int, order: Sequence[str]) -> tuple[Owed, int]:
    """The debt left once the credit balance is applied in the product's allocation order
    (as ``apply_credit_balance`` will at payout), and how much of the credit that takes."""
    paid = allocate(
        min(max(credit_balance_minor, 0), owed.total_minor),
        order,
        {
            "penalty": owed.penalty_minor,
            "interest": owed.interest_minor,
            "principal": owed.principal_minor,
        },
    )
    left = Owed(
        owed.penalty_minor - paid.penalty_minor,
        owed.interest_minor - paid.interest_minor,
        owed.principal_minor - paid.principal_minor,
    )
    return left, paid.total_minor


def instalment_schedule(terms: ProductTerms, amount_minor: int, start: date) -> Schedule:
    """The schedule of a loan of ``amount_minor`` on an instalment product disbursed on
    ``start`` (what the quote shows and disbursement writes); ``ScheduleRefused`` if the
    engine cannot build it."""
    try:
        return generate(terms.schedule_terms(amount_minor, start))
    except InvalidTerms as exc:
        raise errors.ScheduleRefused(f"No schedule for this amount: {exc}") from exc


def quote_new_loan(
    terms: ProductTerms, amount_minor: int, today: date, credit_balance_minor: int = 0
) -> Quote:
    """A bullet product: interest to ``term_days``. An instalment product: its schedule's
    interest and last due date (a credit balance pays principal only: no interest is due at
    payout)."""
    split = split_disbursement(amount_minor, terms)
    owed, credit = after_credit(
        Owed(principal_minor=amount_minor), credit_balance_minor, terms.allocation_order
    )
    instalments = None
    if terms.is_instalment:
        schedule = instalment_schedule(terms, amount_minor, today)
        interest, instalments = schedule.interest_minor, schedule.instalments
        total, due_on = owed.total_minor + interest, instalments[-1].due_date
    else:
        interest, total = due_on_due_date(owed, terms.term_days, terms.regular_rate_bp)
        due_on = today + timedelta(days=terms.term_days)
    return Quote(
        terms.code,
        amount_minor,
        split.cash_minor,
        split.savings_minor,
        split.savings_long_minor,
        split.savings_short_minor,
        interest,
        total,
        due_on,
        terms.regular_rate_bp,
        terms.penalty_rate_bp,
        credit_applied_minor=credit,
        instalments=instalments,
    )


def quote_top_up(
    terms: ProductTerms,
    amount_minor: int,
    today: date,
    due_on: date,
    owed_before: Owed,
    credit_balance_minor: int = 0,
) -> Quote:
    """A top-up keeps the loan's due date: interest runs on the new principal until then."""
    split = split_disbursement(amount_minor, terms)
    owed = Owed(
        owed_before.penalty_minor,
        owed_before.interest_minor,
        owed_before.principal_minor + amount_minor,
    )
    owed, credit = after_credit(owed, credit_balance_minor, terms.allocation_order)
    interest, total = due_on_due_date(owed, (due_on - today).days, terms.regular_rate_bp)
    return Quote(
        terms.code,
        amount_minor,
        split.cash_minor,
        split.savings_minor,
        split.savings_long_minor,
        split.savings_short_minor,
        interest,
        total,
        due_on,
        terms.regular_rate_bp,
        terms.penalty_rate_bp,
        owed_before.total_minor,
        credit,
    )
