"""The fund's chart of accounts: control accounts every money movement posts to.

Floats, one per provider (``float_of``): 1010 M-Pesa, 1011 Airtel Money.

Per-loan and per-borrower figures live in the lending tables (a subledger); each entry that
moves them carries ``loan_id`` / ``borrower_id`` in its metadata, and
``app.accounting.reconcile_books`` proves the subledger equals these control accounts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from integrations.payments.networks import Network
from ledger import AccountSpec, AccountType, Ledger


class Acct(enum.StrEnum):
    FLOAT = "1010"
    """M-Pesa's float: the name stays FLOAT for the code written before Airtel."""
    AIRTEL_FLOAT = "1011"
    PRINCIPAL = "1200"
    INTEREST = "1210"
    PENALTY = "1220"
    GROUP_PRINCIPAL = "1230"
    GROUP_INTEREST = "1240"
    GROUP_PENALTY = "1250"
    SAVINGS_LONG = "2110"
    SAVINGS_SHORT = "2120"
    GROUP_SAVINGS = "2130"
    CREDIT_BALANCES = "2200"
    SUSPENSE = "2900"
    CAPITAL = "3000"
    INTEREST_INCOME = "4000"
    PENALTY_INCOME = "4010"
    LOAN_LOSSES = "5100"


CHART: dict[Acct, AccountSpec] = {
    Acct.FLOAT: AccountSpec(
        Acct.FLOAT,
        "M-Pesa float (utility account)",
        AccountType.ASSET,
        credits_must_not_exceed_debits=True,
        hot=True,
    ),
    Acct.AIRTEL_FLOAT: AccountSpec(
        Acct.AIRTEL_FLOAT,
        "Airtel Money float",
        AccountType.ASSET,
        credits_must_not_exceed_debits=True,
        hot=True,
    ),
    Acct.PRINCIPAL: AccountSpec(
        Acct.PRINCIPAL,
        "Loans receivable - principal",
        AccountType.ASSET,
        credits_must_not_exceed_debits=True,
        hot=True,
    ),
    Acct.INTEREST: AccountSpec(
        Acct.INTEREST,
        "Loans receivable - interest",
        AccountType.ASSET,
        credits_must_not_exceed_debits=True,
        hot=True,
    ),
    Acct.PENALTY: AccountSpec(
        Acct.PENALTY,
        "Loans receivable - penalty interest",
        AccountType.ASSET,
        credits_must_not_exceed_debits=True,
    ),
    Acct.GROUP_PRINCIPAL: AccountSpec(
        Acct.GROUP_PRINCIPAL,
        "Group loans receivable - principal",
        AccountType.ASSET,
        credits_must_not_exceed_debits=True,
    ),
    Acct.GROUP_INTEREST: AccountSpec(
        Acct.GROUP_INTEREST,
        "Group loans receivable - interest",
        AccountType.ASSET,
        credits_must_not_exceed_debits=True,
    ),
    Acct.GROUP_PENALTY: AccountSpec(
        Acct.GROUP_PENALTY,
        "Group loans receivable - penalty interest",
        AccountType.ASSET,
        credits_must_not_exceed_debits=True,
    ),
    Acct.SAVINGS_LONG: AccountSpec(
        Acct.SAVINGS_LONG,
        "Savings payable - long-term",
        AccountType.LIABILITY,
        debits_must_not_exceed_credits=True,
    ),
    Acct.SAVINGS_SHORT: AccountSpec(
        Acct.SAVINGS_SHORT,
        "Savings payable - short-term",
        AccountType.LIABILITY,
        debits_must_not_exceed_credits=True,
    ),
    Acct.GROUP_SAVINGS: AccountSpec(
        Acct.GROUP_SAVINGS,
        "Group savings payable",
        AccountType.LIABILITY,
        debits_must_not_exceed_credits=True,
    ),
    Acct.CREDIT_BALANCES: AccountSpec(
        Acct.CREDIT_BALANCES,
        "Borrower credit balances",
        AccountType.LIABILITY,
        debits_must_not_exceed_credits=True,
    ),
    Acct.SUSPENSE: AccountSpec(
        Acct.SUSPENSE,
        "Suspense - unmatched receipts",
        AccountType.LIABILITY,
        debits_must_not_exceed_credits=True,
    ),
    Acct.CAPITAL: AccountSpec(Acct.CAPITAL, "Fund capital", AccountType.EQUITY),
    Acct.INTEREST_INCOME: AccountSpec(
        Acct.INTEREST_INCOME, "Interest income", AccountType.INCOME, hot=True
    ),
    Acct.PENALTY_INCOME: AccountSpec(
        Acct.PENALTY_INCOME, "Penalty interest income", AccountType.INCOME
    ),
    Acct.LOAN_LOSSES: AccountSpec(
        Acct.LOAN_LOSSES, "Loan losses (write-offs)", AccountType.EXPENSE
    ),
}


FLOATS: dict[Network, Acct] = {Network.SAFARICOM: Acct.FLOAT, Network.AIRTEL: Acct.AIRTEL_FLOAT}
"""One float per provider: money paid out through a provider leaves its float, money
collected through it lands there."""


def float_of(network: str) -> Acct:
    """The float account of the provider serving ``network`` (a stored network value)."""
    return FLOATS[Network(network)]


@dataclass(frozen=True)
class FundAccounts:
    """Ledger account ids of the chart, by code."""

    ids: dict[Acct, int]

    def __getitem__(self, code: Acct) -> int:
        return self.ids[code]


def open_chart(ledger: Ledger) -> FundAccounts:
    """Open every account of the chart (idempotent: existing accounts are returned)."""
    return FundAccounts({code: ledger.open_account(spec).id for code, spec in CHART.items()})


class ChartMissing(RuntimeError):
    """The chart of accounts is not open in this database (run ``mkopo migrate``)."""


def fund_accounts(ledger: Ledger) -> FundAccounts:
    """Ids of the chart's accounts, which must already be open."""
    ids = ledger.account_ids(list(CHART))
    if len(ids) != len(CHART):
        raise ChartMissing("the chart of accounts is not open: run `mkopo migrate`")
    return FundAccounts({Acct(code): account_id for code, account_id in ids.items()})
