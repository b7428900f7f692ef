"""Instalment loans in the lending core: the schedule's rows, interest falling due, repayments
spread over instalments, and days past due.

Rules (docs/instalments.md, "The lending core"):
- When an instalment loan becomes active its schedule (``app.loan_math.schedules``) is written
  to ``loan_instalments``; the instalments' principal sums to the loan's principal (checked
  here and by a test) and the loan's due date is the last instalment's.
- An instalment's interest is recognised when it falls due (Dr 1210 interest receivable,
  Cr 4000 interest income, one entry per loan and call), by the nightly run or, if a
  repayment comes first, before it is allocated (``post_due_interest``, one function).
- Invariant, per loan: principal outstanding = sum(principal - paid principal), interest
  outstanding = sum(interest recognised - paid interest) and penalty outstanding =
  sum(penalty - paid penalty) over its instalments.
- Days past due: the age of the oldest instalment due and not fully paid (bullet loans: days
  since their due date while something is owed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, fund_accounts
from app.clock import business_date
from app.lending.allocation import Allocation
from app.lending.instalment_allocation import InstalmentOwed, allocate_across
from app.lending.models import OPEN_STATUSES, InstalmentStatus, Loan, LoanInstalment
from app.lending.quotes import instalment_schedule
from app.loan_math.schedules.schedule import Instalment
from app.products.terms import INSTALMENT, ProductTerms
from ledger import EntryRequest, Ledger, PostingLine


class ScheduleMismatch(AssertionError):
    """A schedule whose principal does not sum to the loan's: a bug, never written."""


def is_instalment_loan(loan: Loan) -> bool:
    """Whether ``loan`` was made on an instalment product (its terms snapshot says so)."""
    return bool(loan.product_terms.get("kind") == INSTALMENT)


def write_schedule(session: Session, loan: Loan, terms: ProductTerms, start: date) -> date:
    """Write the schedule of ``loan`` (principal disbursed, starting ``start``); returns the
    last due date."""
    schedule = instalment_schedule(terms, loan.principal_disbursed_minor, start)
    rows = rows_of(loan.id, schedule.instalments)
    if sum(row.principal_minor for row in rows) != loan.principal_disbursed_minor:
        raise ScheduleMismatch(f"loan {loan.id}: instalment principal != loan principal")
    session.add_all(rows)
    session.flush()
    return rows[-1].due_on


def rows_of(
    loan_id: int, instalments: Iterable[Instalment], first_number: int = 1
) -> list[LoanInstalment]:
    """Open instalment rows of ``loan_id`` for ``instalments``, numbered from ``first_number``."""
    return [
        LoanInstalment(
            loan_id=loan_id,
            number=first_number + index,
            due_on=item.due_date,
            period_start=item.period_start,
            principal_minor=item.principal_minor,
            interest_minor=item.interest_minor,
            period_interest_minor=item.period_interest_minor,
            total_minor=item.total_minor,
            interest_recognised_minor=0,
            paid_principal_minor=0,
            paid_interest_minor=0,
            status=InstalmentStatus.OPEN,
        )
        for index, item in enumerate(instalments)
    ]


def instalments_of(session: Session, loan_id: int) -> list[LoanInstalment]:
    """The loan's schedule: its instalments in order, less those a restructure superseded."""
    return list(
        session.scalars(
            select(LoanInstalment)
            .where(
                LoanInstalment.loan_id == loan_id,
                LoanInstalment.status != InstalmentStatus.SUPERSEDED,
            )
            .order_by(LoanInstalment.number)
        )
    )


class LoanRef(Protocol):
    """What an entry names a loan by: an ORM ``Loan`` or an accrual batch's row."""

    @property
    def id(self) -> int: ...
    @property
    def account_number(self) -> str: ...
    @property
    def borrower_id(self) -> int: ...


def recognise_due_interest(session: Session, ledger: Ledger, loan: Loan, at: datetime) -> int:
    """Before a repayment: post the interest of the instalments due on or before ``at``'s
    business date and not yet recognised, and move the loan's columns; returns the amount."""
    rows = instalments_of(session, loan.id)
    amount = post_due_interest(ledger, loan, rows, business_date(at), at)
    loan.interest_outstanding_minor += amount
    loan.interest_accrued_minor += amount
    session.flush()
    return amount


def post_due_interest(
    ledger: Ledger, loan: LoanRef, rows: Sequence[LoanInstalment], today: date, at: datetime
) -> int:
    """Post the interest of ``rows`` due on or before ``today`` and not yet recognised
    (Dr 1210 / Cr 4000, one entry) and mark them recognised; returns the amount. The caller
    moves the loan's interest columns by it (the repayment path on the locked loan, the
    nightly run in its compare-and-set)."""
    owner = InterestOwner(
        f"instalment-interest:{loan.id}",
        f"loan {loan.account_number}",
        f"loan:{loan.id}",
        {"loan_id": loan.id, "borrower_id": loan.borrower_id},
    )
    return post_interest_fallen_due(ledger, owner, Acct.INTEREST, rows, today, at)


class ScheduledRow(Protocol):
    """An instalment row of any schedule (an individual loan's or a group loan's)."""

    number: int
    due_on: date
    interest_minor: int
    interest_recognised_minor: int


@dataclass(frozen=True, slots=True)
class InterestOwner:
    """Who owes the interest: the entry's key prefix, the loan's name in the description,
    its reference and metadata."""

    key: str
    name: str
    reference: str
    metadata: dict[str, int]


def post_interest_fallen_due(
    ledger: Ledger,
    owner: InterestOwner,
    receivable: Acct,
    rows: Sequence[ScheduledRow],
    today: date,
    at: datetime,
) -> int:
    """Post the interest of ``rows`` due on or before ``today`` and not yet recognised (Dr
    ``receivable`` / Cr 4000, one entry) and mark them recognised; returns the amount."""
    due = [
        row
        for row in sorted(rows, key=lambda r: r.number)
        if row.due_on <= today and row.interest_recognised_minor < row.interest_minor
    ]
    amount = sum(row.interest_minor - row.interest_recognised_minor for row in due)
    if amount == 0:
        return 0
    accounts = fund_accounts(ledger)
    ledger.post(
        EntryRequest(
            f"{owner.key}:{due[0].number}-{due[-1].number}",
            [
                PostingLine.debit(accounts[receivable], amount),
                PostingLine.credit(accounts[Acct.INTEREST_INCOME], amount),
            ],
            f"Interest of instalments {due[0].number}-{due[-1].number} of {owner.name}",
            reference=owner.reference,
            metadata=owner.metadata,
            effective_at=at,
        )
    )
    for row in due:
        row.interest_recognised_minor = row.interest_minor
    return amount


def allocate_to_instalments(
    session: Session, loan: Loan, amount_minor: int, order: Sequence[str], paid_on: date
) -> Allocation:
    """Spread ``amount_minor`` over the loan's instalments (``instalment_allocation``) and
    mark them paid; the caller moves the loan's columns and the ledger by the totals."""
    return spread_over(instalments_of(session, loan.id), amount_minor, order, paid_on)


class PayableRow(ScheduledRow, Protocol):
    """An instalment row that is paid into (an individual loan's or a group loan's)."""

    principal_minor: int
    penalty_minor: int
    paid_interest_minor: int
    paid_principal_minor: int
    paid_penalty_minor: int
    status: str

    @property
    def is_paid(self) -> bool: ...


def spread_over(
    rows: Sequence[PayableRow], amount_minor: int, order: Sequence[str], paid_on: date
) -> Allocation:
    """Allocate ``amount_minor`` over ``rows`` by the engine's rule, move each row's paid
    columns and mark the rows that owe nothing paid; returns the totals."""
    owed = [
        InstalmentOwed(
            row.number,
            row.due_on,
            row.interest_recognised_minor - row.paid_interest_minor,
            row.principal_minor - row.paid_principal_minor,
            row.penalty_minor - row.paid_penalty_minor,
        )
        for row in rows
    ]
    split = allocate_across(amount_minor, order, owed, paid_on)
    by_number = {row.number: row for row in rows}
    for part in split.paid:
        row = by_number[part.number]
        row.paid_interest_minor += part.interest_minor
        row.paid_principal_minor += part.principal_minor
        row.paid_penalty_minor += part.penalty_minor
    for row in rows:
        if row.status == InstalmentStatus.OPEN and row.is_paid:
            row.status = InstalmentStatus.PAID  # owes nothing (a grace row, from the start)
    return split.allocation


def days_past_due(session: Session, loan: Loan, as_of: date) -> int:
    """Days past due of ``loan`` on ``as_of``: for an instalment loan the age of its oldest
    instalment due and not fully paid; for a bullet loan the days since its due date while
    it owes something. 0 when nothing is overdue."""
    if loan.status not in OPEN_STATUSES:
        return 0
    if is_instalment_loan(loan):
        return oldest_unpaid_age(instalments_of(session, loan.id), as_of)
    if loan.due_on is None or loan.outstanding_minor == 0:
        return 0
    return max((as_of - loan.due_on).days, 0)


def oldest_unpaid_age(rows: Sequence[LoanInstalment], as_of: date) -> int:
    for row in sorted(rows, key=lambda r: r.number):
        if row.due_on < as_of and not row.is_paid:
            return (as_of - row.due_on).days
    return 0


def next_instalment(session: Session, loan_id: int) -> LoanInstalment | None:
    """The loan's oldest instalment still asking for something (overdue or next due)."""
    return next(
        (
            row
            for row in instalments_of(session, loan_id)
            if row.status == InstalmentStatus.OPEN and row.left_minor > 0
        ),
        None,
    )
