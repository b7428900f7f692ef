"""Small ledger moves used by many tests."""

from __future__ import annotations

from ledger import EntryRequest, Ledger, PostingLine
from tests.support.books import Chart, open_chart


def fund(ledger: Ledger, chart: Chart, amount_minor: int, key: str = "capital-in") -> None:
    """Capital paid into the M-Pesa float."""
    ledger.post(
        EntryRequest(
            key,
            [
                PostingLine.debit(chart.float.id, amount_minor),
                PostingLine.credit(chart.capital.id, amount_minor),
            ],
            "capital",
            reference="capital",
        )
    )


def funded_chart(ledger: Ledger, amount_minor: int) -> Chart:
    """A fresh chart with ``amount_minor`` of capital in the M-Pesa float."""
    chart = open_chart(ledger)
    fund(ledger, chart, amount_minor)
    return chart
