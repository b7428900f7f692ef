"""The text of ``mkopo loans schedule``: its arguments in, JSON lines out.

In: the principal in KES ("100000" or "100000.50") and the yearly rate in percent ("7",
"7.25"), read exactly (never through a float); dates as YYYY-MM-DD; names of methods,
frequencies, roundings and day counts. Any bad value raises ``InvalidTerms`` with one line.
Out: one JSON object per instalment (``number``, ``due_date``, ``principal``, ``interest``,
``total``, ``balance_after``), then one of totals (``principal``, ``interest``, ``total``);
amounts are KES as decimal strings with two places ("1234.50").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from app.loan_math.schedules.daycount import DayCount
from app.loan_math.schedules.due_dates import Frequency
from app.loan_math.schedules.rounding import Rounding
from app.loan_math.schedules.schedule import Instalment, Schedule
from app.loan_math.schedules.terms import (
    RATE_DECIMAL_PLACES,
    InvalidTerms,
    Method,
    ScheduleTerms,
)

_Choice = TypeVar("_Choice", bound=StrEnum)
_KES = re.compile(r"[0-9]{1,15}(\.[0-9]{1,2})?")
_PERCENT = re.compile(r"[0-9]{1,3}(\.[0-9]{1," + str(RATE_DECIMAL_PLACES) + r"})?")
_COUNT = re.compile(r"[0-9]{1,4}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_kes(text: str, name: str = "principal") -> int:
    """KES as written by people ("100000", "100000.5", "100000.50") to cents, exactly."""
    if not _KES.fullmatch(text):
        raise InvalidTerms(
            f"--{name} must be a positive amount in KES such as 100000 or 100000.50, not {text!r}"
        )
    return int(Decimal(text) * 100)


def parse_percent(text: str) -> Decimal:
    """A yearly rate in percent ("7", "7.25") to an exact Decimal."""
    if not _PERCENT.fullmatch(text):
        raise InvalidTerms(
            f"--annual-rate must be a percent a year such as 7 or 7.25 (at most "
            f"{RATE_DECIMAL_PLACES} decimal places), not {text!r}"
        )
    return Decimal(text)


def parse_count(text: str, name: str) -> int:
    if not _COUNT.fullmatch(text):
        raise InvalidTerms(f"--{name} must be a whole number, not {text!r}")
    return int(text)


def parse_date(text: str, name: str) -> date:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidTerms(f"--{name} must be a date YYYY-MM-DD, not {text!r}") from None


def parse_choice(kind: type[_Choice], text: str, name: str) -> _Choice:
    try:
        return kind(text)
    except ValueError:
        choices = "|".join(member.value for member in kind)
        raise InvalidTerms(f"--{name} must be one of {choices}, not {text!r}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class TermsText:
    """Schedule terms as typed on the command line, not yet read (None: not given)."""

    principal: str | None
    annual_rate: str | None
    method: str | None
    frequency: str | None
    term: str | None
    start: str | None
    first_due: str | None = None
    grace_principal: str = "0"
    grace_interest: str = "0"
    rounding: str = "cents"
    day_count: str = "act365"


def terms_from_text(text: TermsText) -> ScheduleTerms:
    """The command's arguments, as typed, to validated terms."""
    principal, annual_rate, method = text.principal, text.annual_rate, text.method
    frequency, term, start, first_due = text.frequency, text.term, text.start, text.first_due
    required = {
        "principal": principal,
        "annual-rate": annual_rate,
        "method": method,
        "frequency": frequency,
        "term": term,
        "start": start,
    }
    missing = [f"--{name}" for name, value in required.items() if value is None]
    if missing:
        raise InvalidTerms(f"missing {', '.join(missing)}")
    return ScheduleTerms(
        principal_minor=parse_kes(_given(principal)),
        annual_rate_percent=parse_percent(_given(annual_rate)),
        method=parse_choice(Method, _given(method), "method"),
        frequency=parse_choice(Frequency, _given(frequency), "frequency"),
        term=parse_count(_given(term), "term"),
        start=parse_date(_given(start), "start"),
        first_due=None if first_due is None else parse_date(first_due, "first-due"),
        grace_principal=parse_count(text.grace_principal, "grace-principal"),
        grace_interest=parse_count(text.grace_interest, "grace-interest"),
        rounding=parse_choice(Rounding, text.rounding, "round"),
        day_count=parse_choice(DayCount, text.day_count, "day-count"),
    )


def _given(value: str | None) -> str:
    if value is None:  # checked above, with every missing name in one message
        raise InvalidTerms("missing argument")
    return value


def kes_text(amount_minor: int) -> str:
    """Cents as a KES decimal string with two places: 123450 -> "1234.50"."""
    sign = "-" if amount_minor < 0 else ""
    shillings, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{shillings}.{cents:02d}"


def instalment_line(instalment: Instalment) -> str:
    return json.dumps(
        {
            "number": instalment.number,
            "due_date": instalment.due_date.isoformat(),
            "principal": kes_text(instalment.principal_minor),
            "interest": kes_text(instalment.interest_minor),
            "total": kes_text(instalment.total_minor),
            "balance_after": kes_text(instalment.balance_after_minor),
        }
    )


def totals_line(schedule: Schedule) -> str:
    return json.dumps(
        {
            "principal": kes_text(schedule.principal_minor),
            "interest": kes_text(schedule.interest_minor),
            "total": kes_text(schedule.total_minor),
        }
    )


def schedule_lines(schedule: Schedule) -> Iterator[str]:
    """The command's output: a line per instalment, then the totals."""
    for instalment in schedule.instalments:
        yield instalment_line(instalment)
    yield totals_line(schedule)
