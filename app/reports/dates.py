"""Report dates: Nairobi business days, their UTC bounds, and the checks every report applies.

Every report date is a business date in Nairobi (EAT, UTC+3 all year). "As of D" means at the
end of D: everything with a value time before D+1 00:00 EAT. A date range is inclusive at both
ends, at most ``MAX_RANGE_DAYS`` long, and no report reaches before ``EARLIEST_REPORT_DATE``
or after today, so date arithmetic never overflows and no query is unbounded.

``business_day_of(column)`` is the SQL for a stored UTC time's business date, compiled per
dialect so SQLite and PostgreSQL group the same rows into the same days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from app.clock import EAT
from app.errors import DomainError

MAX_RANGE_DAYS = 366
"""Longest range a report covers (a leap year), so a daily report has at most 366 rows."""
DEFAULT_RANGE_DAYS = 30
"""A daily report without ``from`` covers the 30 days ending on ``to``."""
EARLIEST_REPORT_DATE = date(2020, 1, 1)
"""Before the fund existed; refusing earlier dates keeps ``date - 1 day`` from overflowing."""

_EAT_OFFSET_MINUTES = int((EAT.utcoffset(None) or timedelta()).total_seconds() // 60)


class ReportDateOutOfRange(DomainError, code="report_date_out_of_range", http_status=400): ...


class ReportRangeReversed(DomainError, code="report_range_reversed", http_status=400): ...


class ReportRangeTooLong(DomainError, code="report_range_too_long", http_status=400): ...


@dataclass(frozen=True, slots=True)
class DayRange:
    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def start_of(day: date) -> datetime:
    """The first instant of a business day, in UTC (00:00 EAT = 21:00 UTC the day before)."""
    return datetime.combine(day, time(), tzinfo=EAT).astimezone(UTC)


def end_of(day: date) -> datetime:
    """The last instant of a business day, in UTC: "as of D" counts value times up to here.

    Stored times have microsecond resolution, so this is the instant just before D+1 starts.
    """
    return start_of(day + timedelta(days=1)) - timedelta(microseconds=1)


def check_date(name: str, day: date, today: date) -> date:
    if not EARLIEST_REPORT_DATE <= day <= today:
        raise ReportDateOutOfRange(
            f"{name} must be between {EARLIEST_REPORT_DATE} and today ({today}), not {day}"
        )
    return day


def day_range(first: date | None, last: date | None, today: date) -> DayRange:
    """The inclusive range ``[first, last]``; ``last`` defaults to today and ``first`` to
    ``DEFAULT_RANGE_DAYS`` days ending on ``last``."""
    last = check_date("to", last or today, today)
    if first is None:
        first = max(last - timedelta(days=DEFAULT_RANGE_DAYS - 1), EARLIEST_REPORT_DATE)
    check_date("from", first, today)
    if first > last:
        raise ReportRangeReversed(f"from ({first}) is after to ({last})")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ReportRangeTooLong(f"A report covers at most {MAX_RANGE_DAYS} days")
    return DayRange(first, last)


class business_day_of(FunctionElement[date]):
    """``business_day_of(utc_column)``: the Nairobi business date of a stored UTC time."""

    type = Date()
    inherit_cache = True
    name = "business_day_of"


@compiles(business_day_of, "sqlite")
def _business_day_sqlite(element: business_day_of, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores naive UTC text ("2026-03-02 20:59:59.999999"). Its date functions round
    # fractions to the millisecond, which would carry 23:59:59.9995 EAT into the next day, so
    # cut the fraction off first (a business day depends on whole seconds only).
    column = compiler.process(element.clauses, **kw)
    return f"date(substr({column}, 1, 19), '+{_EAT_OFFSET_MINUTES} minutes')"


@compiles(business_day_of, "postgresql")
def _business_day_postgresql(element: business_day_of, compiler: SQLCompiler, **kw: Any) -> str:
    # timezone(interval, timestamptz) gives the wall-clock time at that offset, whatever the
    # session's TimeZone is; a fixed offset is exact because Kenya keeps no daylight saving.
    column = compiler.process(element.clauses, **kw)
    return f"CAST(timezone(INTERVAL '{_EAT_OFFSET_MINUTES} minutes', {column}) AS DATE)"
