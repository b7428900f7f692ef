"""Business cash-flow features: a till's or paybill's statement, month by month.

Pure, no I/O. ``cash_flow(transactions, months)`` counts the inflows and outflows of each
whole calendar month in ``months`` (months without transactions count as zero) and their
average net inflow (inflows - outflows), in integer cents (money the limit is computed from,
so no floats). The SME limit (``app.sme.limits``) reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from integrations.mobile_money import MoneyTransaction


@dataclass(frozen=True, slots=True)
class MonthFlow:
    month: str
    """``YYYY-MM``."""
    inflow_minor: int
    outflow_minor: int

    @property
    def net_minor(self) -> int:
        return self.inflow_minor - self.outflow_minor


@dataclass(frozen=True, slots=True)
class CashFlow:
    months: tuple[MonthFlow, ...]

    @property
    def average_net_minor(self) -> int:
        """The mean monthly net inflow, rounded down to the cent (0 with no months)."""
        if not self.months:
            return 0
        return sum(m.net_minor for m in self.months) // len(self.months)

    def facts(self) -> dict[str, object]:
        return {
            "months": [
                {"month": m.month, "inflow_minor": m.inflow_minor, "outflow_minor": m.outflow_minor}
                for m in self.months
            ],
            "average_net_inflow_minor": self.average_net_minor,
        }


def whole_months_before(today: date, count: int) -> list[tuple[date, date]]:
    """The ``count`` whole calendar months before ``today``'s month, oldest first."""
    spans: list[tuple[date, date]] = []
    first = today.replace(day=1)
    for _ in range(count):
        end = first.fromordinal(first.toordinal() - 1)
        first = end.replace(day=1)
        spans.append((first, end))
    return spans[::-1]


def cash_flow(
    transactions: Sequence[MoneyTransaction], months: Sequence[tuple[date, date]]
) -> CashFlow:
    flows = []
    for start, end in months:
        within = [t for t in transactions if start <= t.at.date() <= end]
        flows.append(
            MonthFlow(
                f"{start:%Y-%m}",
                sum(t.amount_minor for t in within if t.direction == "in"),
                sum(t.amount_minor for t in within if t.direction == "out"),
            )
        )
    return CashFlow(tuple(flows))
