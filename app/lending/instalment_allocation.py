"""Allocating a repayment across a loan's instalments (pure: no database, no clock).

Rules:
- Instalments due on or before the payment date are paid oldest first; within one, its parts
  in the product's allocation order (penalty -> interest -> principal by default, as
  ``allocation.allocate``): the penalty charged on it, its recognised interest, its principal.
- What is left once everything due is paid is a prepayment: it first pays penalty and
  interest already charged on instalments not yet due (only a settlement or a restructure
  puts any there: interest accrued to date, arrears kept due), then the principal of the
  instalments not yet due from the last one backwards, so the next instalments stay as
  scheduled and the loan ends earlier.
- What is left after all principal is the overpayment (the borrower's credit balance).
Invariants: the parts sum to the amount; no instalment part is paid above what it owes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.lending.allocation import Allocation, allocate


@dataclass(frozen=True, slots=True)
class InstalmentOwed:
    number: int
    due_on: date
    interest_minor: int
    """Interest recognised and not yet paid."""
    principal_minor: int
    """Principal not yet paid."""
    penalty_minor: int = 0
    """Penalty charged and not yet paid."""


@dataclass(frozen=True, slots=True)
class InstalmentPaid:
    number: int
    interest_minor: int
    principal_minor: int
    penalty_minor: int = 0


@dataclass(frozen=True, slots=True)
class InstalmentSplit:
    allocation: Allocation
    """The totals, as a bullet loan's repayment records them."""
    paid: tuple[InstalmentPaid, ...]
    """What each instalment received (only those that received something)."""


def allocate_across(
    amount_minor: int, order: Sequence[str], owed: Sequence[InstalmentOwed], paid_on: date
) -> InstalmentSplit:
    """Split ``amount_minor`` over ``owed`` (any order; sorted by number here)."""
    if amount_minor < 0:
        raise ValueError("cannot allocate a negative amount")
    ordered = sorted(owed, key=lambda item: item.number)
    interest = {item.number: 0 for item in ordered}
    principal = {item.number: 0 for item in ordered}
    penalty = {item.number: 0 for item in ordered}
    left = amount_minor
    for item in ordered:
        if item.due_on > paid_on or left == 0:
            continue
        parts = {
            "penalty": item.penalty_minor,
            "interest": item.interest_minor,
            "principal": item.principal_minor,
        }
        split = allocate(left, order, parts)
        penalty[item.number] += split.penalty_minor
        interest[item.number] += split.interest_minor
        principal[item.number] += split.principal_minor
        left = split.overpayment_minor
    for item in ordered:
        if item.due_on > paid_on and left:
            charges = {"penalty": item.penalty_minor, "interest": item.interest_minor}
            split = allocate(left, order, {**charges, "principal": 0})
            penalty[item.number] += split.penalty_minor
            interest[item.number] += split.interest_minor
            left = split.overpayment_minor
    for item in reversed(ordered):
        unpaid = item.principal_minor - principal[item.number]
        taken = min(left, max(unpaid, 0))
        principal[item.number] += taken
        left -= taken
    paid = tuple(
        InstalmentPaid(n, interest[n], principal[n], penalty[n])
        for n in interest
        if interest[n] or principal[n] or penalty[n]
    )
    totals = Allocation(
        penalty_minor=sum(penalty.values()),
        interest_minor=sum(interest.values()),
        principal_minor=sum(principal.values()),
        overpayment_minor=left,
    )
    return InstalmentSplit(totals, paid)
