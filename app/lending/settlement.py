"""What pays a loan off today (the settlement quote), and settling an instalment loan.

Rules (docs/instalments.md, "Settlement"): as of a date D, an instalment loan is settled by
its principal outstanding + the interest due and unpaid (instalments due on or before D,
whether or not the nightly run has recognised it yet) + the penalty charged and unpaid +
interest deferred by a grace and not yet collected + the current period's interest accrued
to D under the product's day count (reducing balance: principal outstanding x rate x the
elapsed year fraction; flat: the period's interest pro rata), never more than the period's
interest. Later periods' interest is not charged. A bullet loan's quote is what it owes (its
interest accrues daily).

Settling (``settle_interest``, inside a repayment that reaches the principal: at least the
quote less its accrued interest, so paying the principal off never escapes that interest):
the interest charged beyond what was due is recognised (Dr 1210 / Cr 4000) on the current
instalment, the later ones' interest is brought to zero, and the repayment's allocation then
pays every instalment in full: the loan closes with every instalment ``paid``. A payment
short of the quote leaves the difference owed (as principal of the next instalment: the
accrued interest is paid first, principal from the last instalment back).
Invariant: quote total >= principal outstanding; every part >= 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, fund_accounts
from app.lending.instalments import instalments_of, is_instalment_loan
from app.lending.models import OPEN_STATUSES, InstalmentStatus, Loan, LoanInstalment
from app.loan_math.schedules.daycount import (
    DayCount,
    elapsed_fraction,
    regular_year_fraction,
    year_fraction,
)
from app.loan_math.schedules.due_dates import Frequency, periods_after
from app.loan_math.schedules.rounding import to_cents
from app.products.terms import ProductTerms
from ledger import EntryRequest, Ledger, PostingLine


@dataclass(frozen=True, slots=True)
class SettlementQuote:
    as_of: date
    principal_minor: int
    interest_due_minor: int
    """Interest of instalments due on or before the date, not yet paid."""
    interest_accrued_minor: int
    """Interest not yet due that settling charges: the current period's to date, plus
    interest deferred by a grace and not yet collected."""
    penalty_minor: int

    @property
    def interest_minor(self) -> int:
        return self.interest_due_minor + self.interest_accrued_minor

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor + self.penalty_minor


def settlement_quote(session: Session, loan: Loan, as_of: date) -> SettlementQuote:
    """What pays ``loan`` off on ``as_of`` (all zero for a closed loan)."""
    if loan.status not in OPEN_STATUSES:
        return SettlementQuote(as_of, 0, 0, 0, 0)
    if not is_instalment_loan(loan):
        return SettlementQuote(
            as_of,
            loan.principal_outstanding_minor,
            loan.interest_outstanding_minor,
            0,
            loan.penalty_outstanding_minor,
        )
    terms = ProductTerms.from_snapshot(loan.product_terms)
    return quote_of(
        instalments_of(session, loan.id), terms, as_of, schedule_start(session, loan.id)
    )


def schedule_start(session: Session, loan_id: int) -> int:
    """The number of the first instalment of the loan's current schedule: 1, or the first
    one a restructure wrote (numbers continue after the superseded ones)."""
    last_superseded = session.scalar(
        select(func.max(LoanInstalment.number)).where(
            LoanInstalment.loan_id == loan_id,
            LoanInstalment.status == InstalmentStatus.SUPERSEDED,
        )
    )
    return (last_superseded or 0) + 1


def quote_of(
    rows: Sequence[LoanInstalment], terms: ProductTerms, as_of: date, first_number: int = 1
) -> SettlementQuote:
    """The settlement quote of a loan's live instalments on ``as_of`` (``first_number``: the
    current schedule's first instalment: deferred interest is counted within it)."""
    principal = sum(row.principal_minor - row.paid_principal_minor for row in rows)
    penalty = sum(row.penalty_minor - row.paid_penalty_minor for row in rows)
    due = [row for row in rows if row.due_on <= as_of]
    interest_due = sum(row.interest_recognised_minor - row.paid_interest_minor for row in rows)
    interest_due += sum(row.interest_minor - row.interest_recognised_minor for row in due)
    deferred = max(
        sum(
            row.period_interest_minor - row.interest_minor
            for row in due
            if row.number >= first_number
        ),
        0,
    )
    current = current_instalment(rows, as_of)
    accrued = 0 if current is None else accrued_interest(current, terms, principal, as_of)
    return SettlementQuote(as_of, principal, interest_due, deferred + accrued, penalty)


def current_instalment(rows: Sequence[LoanInstalment], as_of: date) -> LoanInstalment | None:
    """The instalment whose period runs on ``as_of``: the first due after it."""
    return next((row for row in sorted(rows, key=lambda r: r.number) if row.due_on > as_of), None)


def accrued_interest(
    row: LoanInstalment, terms: ProductTerms, principal_minor: int, as_of: date
) -> int:
    """Interest of ``row``'s own period accrued on ``as_of`` on ``principal_minor``."""
    fraction = _period_fraction(row, terms)
    elapsed = elapsed_fraction(row.period_start, row.due_on, fraction, as_of)
    if elapsed == 0:
        return 0
    if terms.schedule_method == "flat":
        accrued = to_cents(row.period_interest_minor * (elapsed / fraction))
    else:
        rate = Fraction(terms.regular_rate_bp, 10_000)
        accrued = to_cents(principal_minor * rate * elapsed)
    return min(accrued, row.period_interest_minor)


def _period_fraction(row: LoanInstalment, terms: ProductTerms) -> Fraction:
    day_count = DayCount(str(terms.schedule_day_count))
    frequency = Frequency(str(terms.schedule_frequency))
    if row.due_on == periods_after(frequency, row.period_start, 1):
        return regular_year_fraction(day_count, frequency, row.period_start, row.due_on)
    return year_fraction(day_count, row.period_start, row.due_on)


def settle_interest(
    session: Session, ledger: Ledger, loan: Loan, quote: SettlementQuote, key: str, at: datetime
) -> int:
    """Before a repayment of at least ``quote``: recognise the interest it charges beyond
    what is due (one entry), put it on the current instalment and waive the later periods'
    interest; returns the amount recognised."""
    rows = [
        row
        for row in instalments_of(session, loan.id)
        if row.due_on > quote.as_of and row.status == InstalmentStatus.OPEN
    ]
    if not rows:
        return 0
    amount = quote.interest_accrued_minor
    recognise_accrued(ledger, loan, quote, f"instalment-settlement:{loan.id}:{key}", at)
    for index, row in enumerate(rows):
        row.interest_minor = amount if index == 0 else 0
        row.interest_recognised_minor = row.interest_minor
        row.total_minor = row.principal_minor + row.interest_minor
    session.flush()
    return amount


def recognise_accrued(
    ledger: Ledger, loan: Loan, quote: SettlementQuote, key: str, at: datetime
) -> None:
    """Post the quote's accrued interest (Dr 1210 / Cr 4000, one entry under ``key``) and
    move the loan's interest columns by it; the caller puts it on an instalment."""
    amount = quote.interest_accrued_minor
    if amount == 0:
        return
    accounts = fund_accounts(ledger)
    ledger.post(
        EntryRequest(
            key,
            [
                PostingLine.debit(accounts[Acct.INTEREST], amount),
                PostingLine.credit(accounts[Acct.INTEREST_INCOME], amount),
            ],
            f"Interest to {quote.as_of.isoformat()} of loan {loan.account_number}",
            reference=f"loan:{loan.id}",
            metadata={"loan_id": loan.id, "borrower_id": loan.borrower_id},
            effective_at=at,
        )
    )
    loan.interest_outstanding_minor += amount
    loan.interest_accrued_minor += amount
