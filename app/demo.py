"""Demo data for ``mkopo seed-demo``: the fund's chart with capital in the float and one small
loan's life in the ledger.

Idempotent: the chart is opened by code and every entry carries a fixed idempotency key, so
seeding twice changes nothing.
"""

from __future__ import annotations

from app.accounting.chart import Acct, open_chart
from ledger import EntryRequest, Ledger, PostingLine

CAPITAL_MINOR = 1_000_000 * 100  # KES 1,000,000 in the float


def seed_demo(ledger: Ledger) -> int:
    """Open the chart and post a capital injection into the M-Pesa float."""
    accounts = open_chart(ledger)
    ledger.post(
        EntryRequest(
            "demo:capital",
            [
                PostingLine.debit(accounts[Acct.FLOAT], CAPITAL_MINOR),
                PostingLine.credit(accounts[Acct.CAPITAL], CAPITAL_MINOR),
            ],
            "Capital from the fund's bank account into the M-Pesa float",
            reference="demo",
        )
    )
    return 1
