"""Report days are Nairobi business days, the same in SQL on both databases as in Python."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import literal, select

from app.clock import business_date
from app.db.engine import Database
from app.db.session import Sessions
from app.reports.dates import (
    MAX_RANGE_DAYS,
    ReportDateOutOfRange,
    ReportRangeTooLong,
    business_day_of,
    day_range,
    end_of,
    start_of,
)
from ledger.sqltypes import UTCDateTime

AROUND_MIDNIGHT_IN_NAIROBI = [
    datetime(2026, 3, 1, 20, 59, 59, 999_999, tzinfo=UTC),  # 23:59:59.999999 EAT, 1 March
    datetime(2026, 3, 1, 21, 0, tzinfo=UTC),  # 00:00 EAT, 2 March
    datetime(2026, 3, 1, 21, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 3, 2, 0, 0, tzinfo=UTC),  # 03:00 EAT, 2 March
    datetime(2026, 2, 28, 22, 30, tzinfo=UTC),  # 01:30 EAT, 1 March (not a leap year)
    datetime(2028, 2, 28, 21, 0, tzinfo=UTC),  # 00:00 EAT, 29 February 2028
    datetime(2026, 12, 31, 21, 0, tzinfo=UTC),  # 00:00 EAT, New Year's Day 2027
]


def test_sql_business_day_is_the_python_business_date(database: Database) -> None:
    with Sessions(database).reader() as session:
        for moment in AROUND_MIDNIGHT_IN_NAIROBI:
            day = session.scalar(select(business_day_of(literal(moment, UTCDateTime()))))
            assert day == business_date(moment), moment


def test_a_business_day_runs_from_21_00_utc_to_the_microsecond_before() -> None:
    assert start_of(date(2026, 3, 2)) == datetime(2026, 3, 1, 21, 0, tzinfo=UTC)
    assert end_of(date(2026, 3, 2)) == datetime(2026, 3, 2, 20, 59, 59, 999_999, tzinfo=UTC)
    assert business_date(end_of(date(2026, 3, 2))) == date(2026, 3, 2)
    assert business_date(end_of(date(2026, 3, 2)) + timedelta(microseconds=1)) == date(2026, 3, 3)


def test_ranges_default_to_30_days_to_today_and_are_capped_at_366() -> None:
    today = date(2026, 3, 2)
    default = day_range(None, None, today)
    assert (default.first, default.last, len(default.days)) == (date(2026, 2, 1), today, 30)
    leap_year = day_range(date(2024, 1, 1), date(2024, 12, 31), today)
    assert len(leap_year.days) == MAX_RANGE_DAYS
    with pytest.raises(ReportRangeTooLong):
        day_range(date(2024, 1, 1), date(2025, 1, 1), today)
    with pytest.raises(ReportDateOutOfRange):
        day_range(None, date(2026, 3, 3), today)
