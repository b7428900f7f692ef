"""Restructuring (rescheduling) an instalment loan: a new schedule for what it owes.

Rules (docs/instalments.md, "Restructure"):
- An open instalment loan (active or defaulted, in arrears or not) gets a new number of
  instalments and/or a new first due date; its principal outstanding is rescheduled from
  the restructure date with the product's method, frequency, day count and rounding (no
  grace), by the instalment engine.
- Nothing is forgiven and nothing is capitalised: interest due and unpaid, the current
  period's interest accrued to the restructure date (recognised now, Dr 1210 / Cr 4000) and
  the penalty unpaid stay due, on the first new instalment. Capitalising would charge
  interest on interest and hide the arrears in the principal.
- The old open instalments end ``superseded``; the new rows are numbered after them. The
  first new row also carries what the superseded rows had been paid (principal, interest,
  penalty, as paid), so the loan's instalments still sum to its principal and its charges.
- The loan records ``restructured_at`` and ``restructure_count`` (prudential reporting and
  the CRB export tell restructured loans apart); its status is unchanged (a defaulted loan
  stays defaulted) and its due date becomes the new last instalment's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import business_date
from app.errors import DomainError
from app.lending.instalments import (
    instalments_of,
    is_instalment_loan,
    recognise_due_interest,
    rows_of,
)
from app.lending.models import InstalmentStatus, Loan, LoanInstalment, LoanStatus
from app.lending.settlement import quote_of, recognise_accrued, schedule_start
from app.loan_math.schedules.methods import generate
from app.loan_math.schedules.schedule import Schedule
from app.loan_math.schedules.terms import InvalidTerms
from app.products.terms import ProductTerms
from ledger import Ledger

RESTRUCTURABLE = (LoanStatus.ACTIVE, LoanStatus.DEFAULTED)


class NotRestructurable(DomainError, code="not_restructurable", http_status=409):
    """Not an open instalment loan, or nothing left to reschedule."""


class RestructureRefused(DomainError, code="restructure_not_possible"):
    """The new terms give no schedule (the engine's ``InvalidTerms``: a first due date too
    far, too many instalments, an instalment that would not cover its interest)."""


@dataclass(frozen=True, slots=True)
class NewTerms:
    instalments: int | None
    """Number of instalments of the new schedule; None: as many as are still open."""
    first_due_on: date | None
    """First due date of the new schedule; None: one period after the restructure date."""


def restructurable(loan: Loan) -> None:
    if not is_instalment_loan(loan):
        raise NotRestructurable(f"Loan {loan.account_number} has no instalment schedule")
    if loan.status not in RESTRUCTURABLE:
        raise NotRestructurable(f"Loan {loan.account_number} is {loan.status}")
    if loan.principal_outstanding_minor == 0:
        raise NotRestructurable(f"Loan {loan.account_number} owes no principal")


def open_count(session: Session, loan_id: int) -> int:
    return len(_open_rows(instalments_of(session, loan_id)))


def new_schedule(loan: Loan, new: NewTerms, remaining: int, on: date) -> Schedule:
    """The schedule the loan's principal outstanding would get from ``on``."""
    terms = ProductTerms.from_snapshot(loan.product_terms)
    try:
        contract = terms.schedule_terms(loan.principal_outstanding_minor, on)
        contract = dataclasses.replace(
            contract,
            term=new.instalments or remaining,
            first_due=new.first_due_on,
            grace_principal=0,
            grace_interest=0,
        )
        return generate(contract)
    except InvalidTerms as exc:
        raise RestructureRefused(f"No schedule on these terms: {exc}") from exc


def restructure(
    session: Session, ledger: Ledger, loan: Loan, new: NewTerms, key: str, now: datetime
) -> list[LoanInstalment]:
    """Reschedule the locked ``loan`` as of ``now``'s business date; returns the new rows."""
    restructurable(loan)
    today = business_date(now)
    recognise_due_interest(session, ledger, loan, now)
    rows = instalments_of(session, loan.id)
    old = _open_rows(rows)
    schedule = new_schedule(loan, new, len(old), today)
    terms = ProductTerms.from_snapshot(loan.product_terms)
    quote = quote_of(rows, terms, today, schedule_start(session, loan.id))
    recognise_accrued(ledger, loan, quote, f"restructure-interest:{loan.id}:{key}", now)
    for row in old:
        row.status = InstalmentStatus.SUPERSEDED
    session.flush()
    last = session.scalar(
        select(func.max(LoanInstalment.number)).where(LoanInstalment.loan_id == loan.id)
    )
    fresh = rows_of(loan.id, schedule.instalments, first_number=(last or 0) + 1)
    _carry(fresh[0], old, quote.interest_accrued_minor)
    session.add_all(fresh)
    loan.due_on = fresh[-1].due_on
    loan.restructured_at = now
    loan.restructure_count += 1
    session.flush()
    return fresh


def _open_rows(rows: list[LoanInstalment]) -> list[LoanInstalment]:
    return [row for row in rows if row.status == InstalmentStatus.OPEN]


def _carry(first: LoanInstalment, old: list[LoanInstalment], accrued_minor: int) -> None:
    """Put on the first new instalment what the superseded ones had recognised, charged and
    been paid, and the interest accrued to the restructure: it stays due with it."""
    kept_interest = sum(row.interest_recognised_minor for row in old) + accrued_minor
    paid_principal = sum(row.paid_principal_minor for row in old)
    first.principal_minor += paid_principal
    first.paid_principal_minor = paid_principal
    first.interest_minor += kept_interest
    first.interest_recognised_minor = kept_interest
    first.paid_interest_minor = sum(row.paid_interest_minor for row in old)
    first.penalty_minor = sum(row.penalty_minor for row in old)
    first.paid_penalty_minor = sum(row.paid_penalty_minor for row in old)
    first.penalty_carry_units = 0
    first.total_minor = first.principal_minor + first.interest_minor
