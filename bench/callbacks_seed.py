"""A fund with N borrowers, each with one ACTIVE Personal Loan, for the callbacks benchmark.

Bulk-inserted like ``bench.accrual_bench`` (``INSERT ... SELECT`` through psycopg, no
origination, no payouts), but each loan carries its real account number
(``account_number(loan_id)``, with the Luhn digit the C2B matcher checks), so a paybill
payment to it is matched exactly as in production. Invariant after seeding: the books
balance and agree with the loans (``check_subledger``): capital into the float, then one
entry for the whole portfolio (Dr principal and interest receivable, Cr float and interest
income), as if every loan had been disbursed and accrued by the application.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import func, select

from app.accounting.chart import Acct, open_chart
from app.accounting.subledger_check import check_subledger
from app.borrowers.service import TERMS_VERSION
from app.clock import EAT, business_date
from app.db.session import Sessions
from app.lending.account_numbers import account_number
from app.lending.models import Loan
from app.products.models import Product
from app.products.terms import ProductTerms
from bench.accrual_bench import PRINCIPAL_SQL, closed_form_sql
from ledger import EntryRequest, Ledger, PostingLine

DAYS_SPREAD = 10
"""Loans are ``id % 10`` days old: interest owed on most of them, no penalty yet."""
CAPITAL_HEADROOM_MINOR = 1_000_000 * 100
"""Capital left in the float after the portfolio's disbursements (KES 1m)."""
CREDIT_LIMIT_MINOR = 5_000_000


@dataclass(frozen=True)
class Portfolio:
    loans: int
    account_numbers: list[str]
    principal_minor: int
    interest_minor: int
    terms: ProductTerms


def seed_portfolio(
    libpq_url: str, sessions: Sessions, clock: Callable[[], datetime], loans: int
) -> Portfolio:
    """Open the chart, insert the borrowers and loans, post capital and the portfolio."""
    with sessions.unit_of_work() as session:
        open_chart(Ledger(session, clock))
        product = session.scalars(select(Product).where(Product.code == "personal")).one()
        product_id, terms = product.id, ProductTerms.of(product)
    today = business_date(clock())
    numbers = [account_number(i) for i in range(1, loans + 1)]
    _insert_rows(libpq_url, loans, numbers, product_id, terms, today, clock())
    principal, interest = _post_opening_entries(sessions, clock, today)
    with sessions.reader() as session:
        disagreements = [
            c.account.value
            for c in check_subledger(session, Ledger(session, clock))
            if not c.agrees
        ]
    if disagreements:
        raise SystemExit(f"seeding: subledger disagrees with the ledger on {disagreements}")
    return Portfolio(loans, numbers, principal, interest, terms)


def _insert_rows(
    libpq_url: str,
    loans: int,
    numbers: list[str],
    product_id: int,
    terms: ProductTerms,
    today: date,
    now: datetime,
) -> None:
    state = closed_form_sql(
        "n",
        {
            "regular_rate_bp": terms.regular_rate_bp,
            "penalty_rate_bp": terms.penalty_rate_bp,
            "penalty_from_day": terms.penalty_from_day,
        },
    )
    params: dict[str, Any] = {
        "size": loans,
        "ids": list(range(1, loans + 1)),
        "numbers": numbers,
        "now": now,
        "terms_version": TERMS_VERSION,
        "limit": CREDIT_LIMIT_MINOR,
        "product_id": product_id,
        "terms": Jsonb(terms.snapshot()),
        "today": today,
        "spread": DAYS_SPREAD,
        "term_days": terms.term_days,
    }
    with psycopg.connect(libpq_url) as conn:
        conn.execute(
            """
            INSERT INTO borrowers (
                id, national_id_index, national_id_enc, phone_index, phone_enc, full_name_enc,
                date_of_birth_enc, status, terms_version, opted_in_at, pin_hash,
                pin_failed_attempts, credit_limit_minor, loans_repaid_on_time,
                savings_long_minor, savings_short_minor, savings_short_held_minor,
                credit_balance_minor, created_at)
            SELECT i, 'bench-nid-idx-' || i, 'bench-nid-enc-' || i, 'bench-phone-idx-' || i,
                   'bench-phone-enc-' || i, 'bench-name-enc-' || i, 'bench-dob-enc-' || i,
                   'active', %(terms_version)s, %(now)s, 'bench-pin-hash-' || i, 0, %(limit)s,
                   0, 0, 0, 0, 0, %(now)s
            FROM generate_series(1, %(size)s::bigint) AS i
            """,
            params,
        )
        conn.execute(
            f"""
            INSERT INTO loans (
                id, account_number, borrower_id, product_id, product_terms, status,
                credit_limit_minor, principal_pending_minor, principal_disbursed_minor,
                principal_outstanding_minor, interest_outstanding_minor,
                penalty_outstanding_minor, days_accrued, carry_units, interest_accrued_minor,
                penalty_accrued_minor, disbursed_on, due_on, created_at)
            SELECT i, account, i, %(product_id)s, %(terms)s, 'active',
                   %(limit)s, 0, p, p, {state["interest"]}, {state["penalty"]}, n,
                   {state["carry"]}, {state["interest"]}, {state["penalty"]},
                   %(today)s::date - n, %(today)s::date - n + %(term_days)s, %(now)s
            FROM (SELECT i, account, {PRINCIPAL_SQL} AS p, (i %% %(spread)s)::int AS n
                  FROM unnest(%(ids)s::bigint[], %(numbers)s::text[]) AS v(i, account)) AS g
            """,
            params,
        )
        for table in ("borrowers", "loans"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (loans,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE) borrowers")
        conn.execute("VACUUM (ANALYZE) loans")


def _post_opening_entries(
    sessions: Sessions, clock: Callable[[], datetime], today: date
) -> tuple[int, int]:
    """Capital into the float, then the portfolio as disbursed from it and accrued."""
    opened_at = datetime.combine(today - timedelta(days=DAYS_SPREAD), datetime.min.time(), EAT)
    with sessions.unit_of_work() as session:
        principal, interest, penalty = session.execute(
            select(
                func.sum(Loan.principal_outstanding_minor),
                func.sum(Loan.interest_outstanding_minor),
                func.sum(Loan.penalty_outstanding_minor),
            )
        ).one()
        if penalty:
            raise SystemExit("seeding: the loans owe penalty; DAYS_SPREAD is too long")
        ledger = Ledger(session, clock)
        accounts = {code: ledger.account_by_code(code).id for code in Acct}
        capital = int(principal) + CAPITAL_HEADROOM_MINOR
        ledger.post(
            EntryRequest(
                "bench:callbacks:capital",
                [
                    PostingLine.debit(accounts[Acct.FLOAT], capital),
                    PostingLine.credit(accounts[Acct.CAPITAL], capital),
                ],
                "Benchmark fund: capital into the M-Pesa float",
                effective_at=opened_at,
            )
        )
        lines = [
            PostingLine.debit(accounts[Acct.PRINCIPAL], int(principal)),
            PostingLine.credit(accounts[Acct.FLOAT], int(principal)),
        ]
        if interest:
            lines += [
                PostingLine.debit(accounts[Acct.INTEREST], int(interest)),
                PostingLine.credit(accounts[Acct.INTEREST_INCOME], int(interest)),
            ]
        ledger.post(
            EntryRequest(
                "bench:callbacks:portfolio",
                lines,
                "Benchmark portfolio: loans disbursed from the float and accrued",
                effective_at=opened_at,
            )
        )
    return int(principal), int(interest or 0)
