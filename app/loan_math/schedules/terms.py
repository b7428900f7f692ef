"""The inputs of a repayment schedule, validated once, so the engine never sees bad terms.

Money is integer cents; the yearly rate is an exact ``Decimal`` percent with at most four
decimal places (7, 7.25, 9.4822), so a product's basis points convert exactly. Every field has
a bound (below) and a wrong value raises ``InvalidTerms`` with one line naming the field.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from app.loan_math.schedules.daycount import DayCount
from app.loan_math.schedules.due_dates import Frequency, due_dates, periods_after
from app.loan_math.schedules.rounding import Rounding

MAX_PRINCIPAL_MINOR = 100_000_000_000
"""KES 1,000,000,000: far above any product (SME loans stop at 5,000,000)."""
MAX_ANNUAL_RATE_PERCENT = Decimal(100)
"""100% a year. Above it the figure is almost surely a slip (a monthly rate typed as yearly,
or basis points typed as percent); our products charge 7% to 9.5%."""
RATE_DECIMAL_PLACES = 4
"""A hundredth of a basis point (9.4822%): enough for any published rate."""
MAX_TERM = 360
"""Instalments: 30 years monthly, about 7 years weekly."""
MAX_FIRST_PERIODS = 2
"""A broken first period lasts at most two whole periods."""


class Method(enum.StrEnum):
    EMI = "emi"
    """Reducing balance, equal instalments (annuity)."""
    DECLINING = "declining"
    """Reducing balance, equal principal."""
    FLAT = "flat"
    """Interest on the original principal for the whole term, spread evenly."""


class InvalidTerms(ValueError):
    """Terms a schedule cannot be built from; the message is one line naming the field."""


@dataclass(frozen=True, slots=True)
class ScheduleTerms:
    principal_minor: int
    """The loan, in cents (> 0)."""
    annual_rate_percent: Decimal
    """Nominal yearly rate in percent, e.g. Decimal("7") for the group loan."""
    method: Method
    frequency: Frequency
    term: int
    """Number of instalments."""
    start: date
    """Disbursement: interest runs from this day."""
    first_due: date | None = None
    """A broken first period: the first due date when it is not one whole period after the
    start (later or earlier). The following ones are whole periods after it."""
    grace_principal: int = 0
    """The first N instalments pay interest only (N < term)."""
    grace_interest: int = 0
    """The first N instalments pay nothing: their interest is deferred (not capitalised, and
    bearing no interest) to the instalment after them (N <= grace_principal)."""
    rounding: Rounding = Rounding.CENTS
    day_count: DayCount = DayCount.ACT_365

    def __post_init__(self) -> None:
        _check_amount(self.principal_minor)
        _check_rate(self.annual_rate_percent)
        _check_enums(self)
        _check_counts(self.term, self.grace_principal, self.grace_interest)
        _check_dates(self)

    @property
    def annual_rate(self) -> Fraction:
        """The yearly rate as an exact fraction (7% -> 7/100)."""
        return Fraction(self.annual_rate_percent) / 100

    @property
    def first_period_is_regular(self) -> bool:
        return self.first_due is None or self.first_due == periods_after(
            self.frequency, self.start, 1
        )

    def due_dates(self) -> tuple[date, ...]:
        return due_dates(self.frequency, self.start, self.term, self.first_due)


def _check_amount(principal_minor: object) -> None:
    if not isinstance(principal_minor, int) or isinstance(principal_minor, bool):
        raise InvalidTerms("principal must be a whole number of cents")
    if not 0 < principal_minor <= MAX_PRINCIPAL_MINOR:
        raise InvalidTerms(
            f"principal must be more than 0 and at most KES {MAX_PRINCIPAL_MINOR // 100:,}"
        )


def _check_rate(rate: object) -> None:
    if not isinstance(rate, Decimal) or not rate.is_finite():
        raise InvalidTerms("annual rate must be a finite decimal percent")
    if not Decimal(0) <= rate <= MAX_ANNUAL_RATE_PERCENT:
        raise InvalidTerms(
            f"annual rate must be between 0 and {MAX_ANNUAL_RATE_PERCENT} percent a year"
        )
    if rate != rate.quantize(Decimal(1).scaleb(-RATE_DECIMAL_PLACES)):
        raise InvalidTerms(f"annual rate has more than {RATE_DECIMAL_PLACES} decimal places")


def _check_enums(terms: ScheduleTerms) -> None:
    wanted = (
        ("method", terms.method, Method),
        ("frequency", terms.frequency, Frequency),
        ("rounding", terms.rounding, Rounding),
        ("day count", terms.day_count, DayCount),
    )
    for name, value, kind in wanted:
        if not isinstance(value, kind):
            raise InvalidTerms(f"{name} must be one of {', '.join(kind)}")


def _check_counts(term: int, grace_principal: int, grace_interest: int) -> None:
    for name, value in (
        ("term", term),
        ("grace on principal", grace_principal),
        ("grace on interest", grace_interest),
    ):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidTerms(f"{name} must be a whole number")
    if not 1 <= term <= MAX_TERM:
        raise InvalidTerms(f"term must be between 1 and {MAX_TERM} instalments")
    if not 0 <= grace_principal < term:
        raise InvalidTerms("grace on principal must be at least 0 and less than the term")
    if not 0 <= grace_interest <= grace_principal:
        raise InvalidTerms("grace on interest must be at least 0 and at most the principal grace")


def _check_dates(terms: ScheduleTerms) -> None:
    for name, value in (("start", terms.start), ("first due date", terms.first_due)):
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise InvalidTerms(f"{name} must be a date (no time of day)")
    try:
        latest_first = periods_after(terms.frequency, terms.start, MAX_FIRST_PERIODS)
        terms.due_dates()
    except (OverflowError, ValueError):
        raise InvalidTerms("the due dates run past the year 9999") from None
    if terms.first_due is not None and not terms.start < terms.first_due <= latest_first:
        raise InvalidTerms(
            f"first due date must be after the start and at most {MAX_FIRST_PERIODS} "
            f"periods after it ({latest_first.isoformat()})"
        )
