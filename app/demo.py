"""Demo data for ``mkopo seed-demo``: a small chart of accounts and a few movements.

Idempotent: every account is opened by code and every entry carries a fixed idempotency
key, so seeding twice changes nothing.
"""

from __future__ import annotations

from ledger import AccountSpec, AccountType, EntryRequest, Ledger, PostingLine

DEMO_ACCOUNTS = [
    AccountSpec(
        "1010",
        "M-Pesa float (B2C utility)",
        AccountType.ASSET,
        credits_must_not_exceed_debits=True,
        hot=True,
    ),
    AccountSpec("1200", "Loans receivable - principal", AccountType.ASSET),
    AccountSpec("1210", "Loans receivable - interest", AccountType.ASSET),
    AccountSpec(
        "2110",
        "Savings payable - long-term",
        AccountType.LIABILITY,
        debits_must_not_exceed_credits=True,
    ),
    AccountSpec(
        "2120",
        "Savings payable - short-term",
        AccountType.LIABILITY,
        debits_must_not_exceed_credits=True,
    ),
    AccountSpec("3000", "Fund capital", AccountType.EQUITY),
    AccountSpec("4000", "Interest income", AccountType.INCOME, hot=True),
]


def seed_demo(ledger: Ledger) -> int:
    """Open the demo chart and post a capital injection and one small loan's life."""
    ids = {spec.code: ledger.open_account(spec).id for spec in DEMO_ACCOUNTS}
    d, c = PostingLine.debit, PostingLine.credit
    entries = [
        EntryRequest(
            "demo:capital",
            [d(ids["1010"], 100_000_000), c(ids["3000"], 100_000_000)],
            "Capital from the fund's bank account",
            reference="demo",
        ),
        EntryRequest(
            "demo:loan-1:disburse",
            [
                d(ids["1200"], 50_000),
                c(ids["1010"], 47_500),
                c(ids["2110"], 1_750),
                c(ids["2120"], 750),
            ],
            "KES 500 loan: 475 cash, 25 savings",
            reference="demo:loan-1",
        ),
        EntryRequest(
            "demo:loan-1:interest",
            [d(ids["1210"], 153), c(ids["4000"], 153)],
            "Interest, 14 days at 8%",
            reference="demo:loan-1",
        ),
        EntryRequest(
            "demo:loan-1:repay",
            [d(ids["1010"], 50_153), c(ids["1210"], 153), c(ids["1200"], 50_000)],
            "Repaid KES 501.53",
            reference="demo:loan-1",
        ),
    ]
    for request in entries:
        ledger.post(request)
    return len(entries)
