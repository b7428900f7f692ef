"""The amortisation engine: EMI (equal instalments), declining (equal principal) and flat.

Rules (docs/instalments.md works through each one):
- A period's interest on the reducing balance is balance x yearly rate x the period's year
  fraction under the day count (daycount.py), to the cent, half to even.
- EMI: the instalment is the level payment that repays the principal over the schedule's
  actual periods, ``P / sum_k prod_{j<=k} 1 / (1 + r f_j)`` (f_j: period j's year fraction),
  rounded to the cent or shilling. With equal periods (30/360; weekly or fortnightly under
  ACT/365) this is the textbook annuity ``P i / (1 - (1 + i)^-n)``. The last instalment pays
  the balance left, so it differs from the others by rounding only.
- Declining: each instalment repays ``P / n`` rounded to the cent, plus the period's interest.
- Flat: interest ``I = P x r x`` the whole term's year fraction, to the cent; each instalment
  carries ``I / n`` rounded down (to the cent or shilling) and ``P / n`` of principal.
- Grace on principal: the first instalments pay the period's interest only; the rest amortise
  the whole principal. Grace on interest: those instalments pay nothing and their interest
  (no interest on it) is collected with the next instalment.
- Whole shillings: every instalment's total but the last is a whole shilling. Amortising ones
  round their total (the interest stays exact to the cent; the principal part absorbs the
  rounding), interest-only ones round their interest.
- The last instalment repays the balance left: the remainder of every rounding.
Terms whose instalment would not cover its interest, or that would repay the principal
before the last instalment, are refused (``ScheduleNotAmortising``): we never capitalise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from app.loan_math.schedules.daycount import regular_year_fraction, year_fraction
from app.loan_math.schedules.rounding import down_to_unit, to_cents, to_unit
from app.loan_math.schedules.schedule import Instalment, Schedule
from app.loan_math.schedules.terms import InvalidTerms, Method, ScheduleTerms


class ScheduleNotAmortising(InvalidTerms):
    """An instalment would not cover its interest, or the principal would be repaid early."""


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    year_fraction: Fraction


@dataclass(frozen=True, slots=True)
class Run:
    """One amortisation of a principal over periods (a new loan or a recalculation)."""

    principal_minor: int
    start: date
    periods: tuple[Period, ...]
    first_number: int = 1
    grace_principal: int = 0
    grace_interest: int = 0
    kept_regular_minor: int | None = None
    """Reduce term: keep this instalment (EMI) or principal part (declining, flat) instead of
    spreading the principal over every period."""
    ends_when_repaid: bool = False
    """A recalculation ends where the principal is repaid (a new loan refuses to: its term is
    the contract's)."""


def generate(terms: ScheduleTerms) -> Schedule:
    """The repayment schedule of ``terms``."""
    return amortise(
        terms,
        Run(
            terms.principal_minor,
            terms.start,
            periods_of(terms),
            grace_principal=terms.grace_principal,
            grace_interest=terms.grace_interest,
        ),
    )


def periods_of(terms: ScheduleTerms) -> tuple[Period, ...]:
    dues = terms.due_dates()
    starts = (terms.start, *dues[:-1])
    periods = []
    for index, (start, end) in enumerate(zip(starts, dues, strict=True)):
        if index == 0 and not terms.first_period_is_regular:
            fraction = year_fraction(terms.day_count, start, end)
        else:
            fraction = regular_year_fraction(terms.day_count, terms.frequency, start, end)
        periods.append(Period(start, end, fraction))
    return tuple(periods)


def annuity_minor(
    principal_minor: int, annual_rate: Fraction, periods: tuple[Period, ...]
) -> Fraction:
    """The exact level payment repaying ``principal_minor`` over ``periods``."""
    discount, factor_sum = Fraction(1), Fraction(0)
    for period in periods:
        discount /= 1 + annual_rate * period.year_fraction
        factor_sum += discount
    return principal_minor / factor_sum


def amortise(terms: ScheduleTerms, run: Run) -> Schedule:
    periods = _periods_used(terms, run)
    amortising = periods[run.grace_principal :]
    regular = run.kept_regular_minor
    if regular is None:
        regular = _regular_minor(terms, run.principal_minor, amortising)
    flat_interest = 0
    if terms.method is Method.FLAT:
        term_fraction = sum((period.year_fraction for period in periods), Fraction(0))
        flat_interest = to_cents(run.principal_minor * terms.annual_rate * term_fraction)
    unit = terms.rounding.unit_minor
    balance, deferred, flat_charged = run.principal_minor, 0, 0
    rows: list[Instalment] = []
    for index, period in enumerate(periods):
        number = run.first_number + index
        in_grace = index < run.grace_principal
        last = index == len(periods) - 1
        if terms.method is Method.FLAT:
            interest = down_to_unit(Fraction(flat_interest, len(periods)), unit)
        else:
            exact = balance * terms.annual_rate * period.year_fraction
            interest = to_unit(exact, unit) if in_grace else to_cents(exact)
        principal = 0 if in_grace else _principal_part(terms.method, regular, interest, unit)
        if run.ends_when_repaid and principal >= balance:
            last = True
        if last:
            principal = balance
            if terms.method is Method.FLAT:
                interest = flat_interest - flat_charged
        _check_amortises(number, principal, balance, last, run.first_number + len(periods) - 1)
        flat_charged += interest
        if index < run.grace_interest:
            deferred, due = deferred + interest, 0
        else:
            deferred, due = 0, interest + deferred
        balance -= principal
        rows.append(
            Instalment(
                number=number,
                period_start=period.start,
                due_date=period.end,
                year_fraction=period.year_fraction,
                principal_minor=principal,
                interest_minor=due,
                period_interest_minor=interest,
                late_interest_minor=0,
                balance_after_minor=balance,
            )
        )
        if last:
            break
    return Schedule(terms, run.principal_minor, run.start, regular, tuple(rows))


def _periods_used(terms: ScheduleTerms, run: Run) -> tuple[Period, ...]:
    """Every period, or for a reduce-term declining or flat schedule only as many as the kept
    principal part needs (flat interest depends on the number of periods)."""
    kept = run.kept_regular_minor
    if kept is None or terms.method is Method.EMI or kept <= 0:
        return run.periods
    available = len(run.periods) - run.grace_principal
    needed = max(1, min(available, math.ceil(run.principal_minor / kept)))
    return run.periods[: run.grace_principal + needed]


def _regular_minor(
    terms: ScheduleTerms, principal_minor: int, amortising: tuple[Period, ...]
) -> int:
    if terms.method is Method.EMI:
        annuity = annuity_minor(principal_minor, terms.annual_rate, amortising)
        return to_unit(annuity, terms.rounding.unit_minor)
    return to_cents(Fraction(principal_minor, len(amortising)))


def _principal_part(method: Method, regular_minor: int, interest_minor: int, unit: int) -> int:
    """An amortising instalment's principal: what is left of its (rounded) total."""
    if method is Method.EMI:
        return regular_minor - interest_minor
    return to_unit(Fraction(regular_minor + interest_minor), unit) - interest_minor


def _check_amortises(
    number: int, principal: int, balance: int, last: bool, last_number: int
) -> None:
    if principal < 0:
        raise ScheduleNotAmortising(
            f"instalment {number} would not cover its interest: use a shorter first period, "
            "a shorter term or a larger principal"
        )
    if not last and principal >= balance:
        raise ScheduleNotAmortising(
            f"the principal would be repaid by instalment {number}, before the last "
            f"({last_number}): use fewer instalments or a larger principal"
        )
