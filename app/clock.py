"""Clocks. Business rules take ``now`` or a clock; only the wiring uses the system clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


EAT = timezone(timedelta(hours=3), "EAT")
"""Kenya keeps East Africa Time all year (no daylight saving), so a fixed offset is exact."""


def business_date(moment: datetime) -> date:
    """The fund's business date (Nairobi) of an instant."""
    return moment.astimezone(EAT).date()
