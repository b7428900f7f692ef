"""An early-settlement quote as of a date: principal outstanding + interest accrued to it.

As of a date D, the instalments due before D are taken as paid as scheduled, and the current
instalment is the first one due on or after D. The quote is
- principal: the balance before the current instalment;
- interest: interest deferred by a grace and not yet collected, plus late-payment interest
  not yet paid, plus the current period's interest accrued from its start to D under the day
  count (reducing balance: balance x rate x elapsed year fraction; flat: the instalment's
  interest pro rata), to the cent and never more than the period's interest. On a due date it
  is that instalment's whole interest. Interest of later periods is not charged.
Invariant: total = principal + interest >= principal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.loan_math.schedules.daycount import elapsed_fraction
from app.loan_math.schedules.rounding import to_cents
from app.loan_math.schedules.schedule import Instalment, Schedule
from app.loan_math.schedules.terms import Method


class OutsideSchedule(ValueError):
    """The date is before the schedule starts or after its last due date (then the loan is in
    arrears: the lending core quotes it from what is actually unpaid)."""


@dataclass(frozen=True, slots=True)
class SettlementQuote:
    as_of: date
    principal_minor: int
    interest_minor: int

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor


def current_index(schedule: Schedule, as_of: date) -> int:
    """Index of the first instalment due on or after ``as_of`` (the one running then)."""
    if not schedule.instalments or not schedule.start <= as_of <= schedule.instalments[-1].due_date:
        last = schedule.instalments[-1].due_date if schedule.instalments else schedule.start
        raise OutsideSchedule(
            f"{as_of.isoformat()} is outside the schedule "
            f"({schedule.start.isoformat()} to {last.isoformat()})"
        )
    return next(i for i, row in enumerate(schedule.instalments) if row.due_date >= as_of)


def settlement_quote(schedule: Schedule, as_of: date) -> SettlementQuote:
    """What settles the loan on ``as_of``, instalments due before it having been paid."""
    index = current_index(schedule, as_of)
    earlier, current = schedule.instalments[:index], schedule.instalments[index]
    principal = earlier[-1].balance_after_minor if earlier else schedule.principal_minor
    deferred = sum(
        row.period_interest_minor + row.late_interest_minor - row.interest_minor for row in earlier
    )
    late = sum(row.late_interest_minor for row in schedule.instalments[index:])
    accrued = accrued_interest(schedule, current, principal, as_of)
    return SettlementQuote(as_of, principal, deferred + late + accrued)


def accrued_interest(
    schedule: Schedule, instalment: Instalment, balance_minor: int, as_of: date
) -> int:
    """Interest of ``instalment``'s own period accrued on ``as_of`` on ``balance_minor``."""
    terms = schedule.terms
    elapsed = elapsed_fraction(
        instalment.period_start, instalment.due_date, instalment.year_fraction, as_of
    )
    if elapsed == instalment.year_fraction:
        return instalment.period_interest_minor
    if terms.method is Method.FLAT:
        share = elapsed / instalment.year_fraction
        accrued = to_cents(instalment.period_interest_minor * share)
    else:
        accrued = to_cents(balance_minor * terms.annual_rate * elapsed)
    return min(accrued, instalment.period_interest_minor)
