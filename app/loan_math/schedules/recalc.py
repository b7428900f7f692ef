"""Recalculating a schedule: after a prepayment, and after a late payment (product rules).

Prepayment (``apply_prepayment``; ``recalculate`` is its second half). On the payment date the
instalments due before it are taken as paid; the payment first settles the interest accrued
to that date (the settlement quote's interest, settlement.py) and the principal of an
instalment due that very day, the rest reduces principal further (``prepayment_bounds``).
The instalments due after the date are then recalculated on the new principal, keeping their
due dates, the first period running from the payment date:
- ``reduce_instalment``: same number of instalments, smaller ones (EMI recomputed; declining:
  a new principal part; flat: flat interest on the new principal for the remaining term);
- ``reduce_term``: same instalment (EMI) or principal part (declining, flat), fewer of them.
Either way the new schedule ends early if rounding repays a tiny principal before its last
due date.
Money is conserved: principal of the instalments paid + principal prepaid + principal of the
new schedule = the schedule's principal.

Late payment (``LatePaymentRule``, product data):
- ``none``: the schedule stands; lateness costs only the product's penalty on overdue amounts
  (the arrears rules, not a schedule change).
- ``interest_on_overdue_principal``: the principal paid late bears the contract rate for the
  days from its due date to the payment date (day count of the schedule); that interest is
  added to the next instalment due after the payment (the last one if none is left). This is
  Mifos/Fineract's "interest recalculation" on late payment.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from app.loan_math.schedules.daycount import elapsed_fraction, year_fraction
from app.loan_math.schedules.methods import Period, Run, amortise
from app.loan_math.schedules.rounding import to_unit
from app.loan_math.schedules.schedule import Instalment, Schedule
from app.loan_math.schedules.settlement import current_index, settlement_quote


class PrepaymentStrategy(enum.StrEnum):
    REDUCE_INSTALMENT = "reduce_instalment"
    REDUCE_TERM = "reduce_term"


class LatePaymentRule(enum.StrEnum):
    NONE = "none"
    INTEREST_ON_OVERDUE_PRINCIPAL = "interest_on_overdue_principal"


@dataclass(frozen=True, slots=True)
class RecalculationRules:
    """A product's recalculation rules."""

    prepayment: PrepaymentStrategy = PrepaymentStrategy.REDUCE_INSTALMENT
    late_payment: LatePaymentRule = LatePaymentRule.NONE


class InvalidRecalculation(ValueError):
    """A recalculation the schedule cannot take (one line saying why)."""


@dataclass(frozen=True, slots=True)
class PrepaymentOutcome:
    paid_on: date
    amount_minor: int
    interest_minor: int
    """Interest accrued to the payment date, settled first."""
    principal_minor: int
    """The rest of the payment, off the principal."""
    schedule: Schedule | None
    """The instalments left, recalculated; None when the payment settled the loan."""


def prepayment_bounds(schedule: Schedule, paid_on: date) -> tuple[int, int]:
    """The least and the most a prepayment on ``paid_on`` can be: the interest accrued and
    the principal of an instalment due that day; the settlement quote."""
    quote = settlement_quote(schedule, paid_on)
    current = schedule.instalments[current_index(schedule, paid_on)]
    due_today = current.principal_minor if current.due_date == paid_on else 0
    return quote.interest_minor + due_today, quote.total_minor


def apply_prepayment(
    schedule: Schedule, *, paid_on: date, amount_minor: int, strategy: PrepaymentStrategy
) -> PrepaymentOutcome:
    """A payment of ``amount_minor`` on ``paid_on`` beyond the instalments due before it."""
    least, most = prepayment_bounds(schedule, paid_on)
    if not least <= amount_minor <= most or amount_minor <= 0:
        raise InvalidRecalculation(
            f"a prepayment on {paid_on.isoformat()} must be at least the interest accrued and "
            f"any principal due that day ({least} cents) and at most the settlement ({most})"
        )
    quote = settlement_quote(schedule, paid_on)
    principal_paid = amount_minor - quote.interest_minor
    outstanding = quote.principal_minor - principal_paid
    remaining = None
    if outstanding > 0:
        remaining = recalculate(
            schedule, on=paid_on, outstanding_principal_minor=outstanding, strategy=strategy
        )
    return PrepaymentOutcome(paid_on, amount_minor, quote.interest_minor, principal_paid, remaining)


def recalculate(
    schedule: Schedule,
    *,
    on: date,
    outstanding_principal_minor: int,
    strategy: PrepaymentStrategy,
) -> Schedule:
    """The instalments due after ``on`` recalculated on ``outstanding_principal_minor``, its
    interest running from ``on`` (interest before ``on`` is taken as settled)."""
    remaining = [row for row in schedule.instalments if row.due_date > on]
    if on < schedule.start or not remaining:
        raise InvalidRecalculation(f"no instalment of the schedule falls due after {on}")
    first = remaining[0]
    balance_before = first.balance_after_minor + first.principal_minor
    if not 0 < outstanding_principal_minor <= balance_before:
        raise InvalidRecalculation(
            f"the principal outstanding must be more than 0 and at most {balance_before} cents"
        )
    terms = schedule.terms
    elapsed = elapsed_fraction(first.period_start, first.due_date, first.year_fraction, on)
    periods = (
        Period(on, first.due_date, first.year_fraction - elapsed),
        *(Period(row.period_start, row.due_date, row.year_fraction) for row in remaining[1:]),
    )
    done = first.number - 1
    kept = schedule.regular_minor if strategy is PrepaymentStrategy.REDUCE_TERM else None
    return amortise(
        terms,
        Run(
            outstanding_principal_minor,
            on,
            periods,
            first_number=first.number,
            grace_principal=max(0, terms.grace_principal - done),
            grace_interest=max(0, terms.grace_interest - done),
            kept_regular_minor=kept,
            ends_when_repaid=True,
        ),
    )


def late_payment_interest(
    schedule: Schedule,
    *,
    number: int,
    paid_on: date,
    rule: LatePaymentRule,
    overdue_principal_minor: int | None = None,
) -> int:
    """Interest the rule charges for paying instalment ``number``'s principal (all of it, or
    ``overdue_principal_minor``) on ``paid_on``; rounded like the schedule's instalments."""
    instalment = _instalment(schedule, number)
    overdue = (
        instalment.principal_minor if overdue_principal_minor is None else overdue_principal_minor
    )
    if not 0 <= overdue <= instalment.principal_minor:
        raise InvalidRecalculation(
            f"overdue principal must be between 0 and instalment {number}'s "
            f"{instalment.principal_minor} cents"
        )
    if rule is LatePaymentRule.NONE or paid_on <= instalment.due_date:
        return 0
    terms = schedule.terms
    days_late = year_fraction(terms.day_count, instalment.due_date, paid_on)
    exact: Fraction = overdue * terms.annual_rate * days_late
    return to_unit(exact, terms.rounding.unit_minor)


def recalculate_after_late_payment(
    schedule: Schedule,
    *,
    number: int,
    paid_on: date,
    rule: LatePaymentRule,
    overdue_principal_minor: int | None = None,
) -> Schedule:
    """The schedule with the rule's late-payment interest added to the next instalment due
    after ``paid_on`` (or to the last one). Principal is unchanged."""
    extra = late_payment_interest(
        schedule,
        number=number,
        paid_on=paid_on,
        rule=rule,
        overdue_principal_minor=overdue_principal_minor,
    )
    if extra == 0:
        return schedule
    rows = list(schedule.instalments)
    target = next((i for i, row in enumerate(rows) if row.due_date > paid_on), len(rows) - 1)
    rows[target] = dataclasses.replace(
        rows[target],
        interest_minor=rows[target].interest_minor + extra,
        late_interest_minor=rows[target].late_interest_minor + extra,
    )
    return dataclasses.replace(schedule, instalments=tuple(rows))


def _instalment(schedule: Schedule, number: int) -> Instalment:
    try:
        return schedule.instalment(number)
    except KeyError:
        raise InvalidRecalculation(f"the schedule has no instalment {number}") from None
