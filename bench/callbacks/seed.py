"""A fund with N borrowers, each with one ACTIVE Personal Loan, for the callbacks benchmark.

Bulk-inserted (``bench.common.seed``), each loan with its real account number
(``account_number(loan_id)``, with the Luhn digit the C2B matcher checks), so a paybill
payment to it is matched exactly as in production. Invariant after seeding: the books
balance and agree with the loans (``check_subledger``): capital into the float, then one
entry for the whole portfolio (Dr principal and interest receivable, Cr float and interest
income), as if every loan had been disbursed and accrued by the application.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.accounting.chart import Acct, FundAccounts
from app.clock import EAT, business_date
from app.db.session import Sessions
from app.lending.account_numbers import account_number
from bench.common import seed
from ledger import EntryRequest, Ledger, PostingLine

DAYS_SPREAD = 10
"""Loans are ``id % 10`` days old: interest owed on most of them, no penalty yet."""
CAPITAL_HEADROOM_MINOR = 1_000_000 * 100
"""Capital left in the float after the portfolio's disbursements (KES 1m)."""


def seed_portfolio(libpq_url: str, sessions: Sessions, clock: seed.Clock, loans: int) -> list[str]:
    """Open the chart, insert the borrowers and loans, post capital and the portfolio; the
    loans' account numbers."""
    fund = seed.open_fund(sessions, clock)
    today = business_date(clock())
    numbers = [account_number(i) for i in range(1, loans + 1)]
    with seed.bulk(libpq_url, loans, ["borrowers", "loans"]) as conn:
        seed.insert_borrowers(conn, loans, clock())
        seed.insert_active_loans(
            conn,
            fund,
            loans,
            accrued_to=today,
            spread_days=DAYS_SPREAD,
            now=clock(),
            account_numbers=numbers,
        )
    _post_opening_entries(sessions, clock, fund.accounts, today)
    disagreements = seed.subledger_disagreements(sessions, clock)
    if disagreements:
        raise SystemExit(f"seeding: subledger disagrees with the ledger on {disagreements}")
    return numbers


def _post_opening_entries(
    sessions: Sessions, clock: seed.Clock, accounts: FundAccounts, today: date
) -> None:
    """Capital into the float, then the portfolio as disbursed from it and accrued."""
    opened_at = datetime.combine(today - timedelta(days=DAYS_SPREAD), datetime.min.time(), EAT)
    with sessions.unit_of_work() as session:
        owed = seed.portfolio_totals(session)
        if owed["penalty"]:
            raise SystemExit("seeding: the loans owe penalty; DAYS_SPREAD is too long")
        ledger = Ledger(session, clock)
        principal, interest = owed["principal"], owed["interest"]
        seed.post_capital(
            ledger,
            accounts,
            principal + CAPITAL_HEADROOM_MINOR,
            "bench:callbacks:capital",
            opened_at,
        )
        lines = [
            PostingLine.debit(accounts[Acct.PRINCIPAL], principal),
            PostingLine.credit(accounts[Acct.FLOAT], principal),
        ]
        if interest:
            lines += [
                PostingLine.debit(accounts[Acct.INTEREST], interest),
                PostingLine.credit(accounts[Acct.INTEREST_INCOME], interest),
            ]
        ledger.post(
            EntryRequest(
                "bench:callbacks:portfolio",
                lines,
                "Benchmark portfolio: loans disbursed from the float and accrued",
                effective_at=opened_at,
            )
        )
