"""A small fund chart of accounts for ledger tests, opened through the public API."""

from __future__ import annotations

from dataclasses import dataclass

from ledger import AccountInfo, AccountSpec, AccountType, Ledger


@dataclass
class Chart:
    float: AccountInfo
    capital: AccountInfo
    principal: AccountInfo
    interest_receivable: AccountInfo
    interest_income: AccountInfo
    savings_long: AccountInfo
    savings_short: AccountInfo
    borrower_wallet: AccountInfo


def open_chart(ledger: Ledger, prefix: str = "") -> Chart:
    def acct(code: str, name: str, kind: AccountType, **flags: bool) -> AccountInfo:
        return ledger.open_account(AccountSpec(f"{prefix}{code}", name, kind, **flags))

    return Chart(
        float=acct(
            "1010", "M-Pesa float", AccountType.ASSET, credits_must_not_exceed_debits=True, hot=True
        ),
        capital=acct("3000", "Fund capital", AccountType.EQUITY),
        principal=acct("1200", "Loans receivable - principal", AccountType.ASSET),
        interest_receivable=acct("1210", "Loans receivable - interest", AccountType.ASSET),
        interest_income=acct("4000", "Interest income", AccountType.INCOME, hot=True),
        savings_long=acct(
            "2110",
            "Savings payable - long-term",
            AccountType.LIABILITY,
            debits_must_not_exceed_credits=True,
        ),
        savings_short=acct(
            "2120",
            "Savings payable - short-term",
            AccountType.LIABILITY,
            debits_must_not_exceed_credits=True,
        ),
        borrower_wallet=acct(
            "2200",
            "Borrower credit balance",
            AccountType.LIABILITY,
            debits_must_not_exceed_credits=True,
        ),
    )
