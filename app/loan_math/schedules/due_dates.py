"""Due dates: weekly (7 days), fortnightly (14 days) or monthly (calendar months).

A monthly due date is always counted from the anchor (the start, or the first due date when one
is given), never from the previous due date: a loan anchored on 31 January falls due on 28 (or
29) February, 31 March, 30 April, 31 May. A day past a month's end moves to that month's last
day, and the next month goes back to the anchor day. Invariant: due dates strictly increase.
"""

from __future__ import annotations

import calendar
import enum
from datetime import date, timedelta


class Frequency(enum.StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"

    @property
    def days_30_360(self) -> int:
        """A regular period's length under 30/360: a month is 30 days, a week 7."""
        return {"weekly": 7, "fortnightly": 14, "monthly": 30}[self.value]


def add_months(anchor: date, months: int) -> date:
    """``anchor`` moved by whole calendar months, its day clamped to the month's last day."""
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def periods_after(frequency: Frequency, anchor: date, periods: int) -> date:
    """The date ``periods`` whole periods after ``anchor``."""
    if frequency is Frequency.MONTHLY:
        return add_months(anchor, periods)
    return anchor + timedelta(days=frequency.days_30_360 * periods)


def due_dates(
    frequency: Frequency, start: date, count: int, first_due: date | None = None
) -> tuple[date, ...]:
    """``count`` due dates: one whole period after ``start`` and every period after that, or,
    with ``first_due`` (a broken first period), ``first_due`` and every period after it.

    Raises OverflowError or ValueError when the dates run past the year 9999."""
    if first_due is None:
        return tuple(periods_after(frequency, start, k) for k in range(1, count + 1))
    return tuple(periods_after(frequency, first_due, k) for k in range(count))
