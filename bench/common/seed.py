"""Seeding a scratch database in bulk: the fund's chart and capital, N borrowers, N active
Personal Loans already accrued to a given day.

Rows go in with ``INSERT ... SELECT FROM generate_series`` (or ``unnest`` of values made in
Python) through psycopg: no origination, no payouts, no identity checks, since none of that
is what the benchmarks measure. Invariant: what is seeded is what the application would have
written. A loan's accrual state is the closed form of ``app.loan_math.interest`` for its age
(checked against ``accrue_day`` by the accrual benchmark), and the ledger gets entries that
make the control accounts agree with the loans (``check_subledger``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, FundAccounts, open_chart
from app.db.session import Sessions
from app.lending.models import Loan
from app.loan_math.interest import UNITS_PER_MINOR
from app.onboarding.service import TERMS_VERSION
from app.products.models import Product
from app.products.terms import ProductTerms
from app.reports.subledger_check import check_subledger
from ledger import EntryRequest, Ledger, PostingLine

Clock = Callable[[], datetime]
CREDIT_LIMIT_MINOR = 5_000_000
AMOUNT_SQL = "(100 * (100 + (i * 7919) %% 49901))::bigint"  # %% for psycopg
"""Whole shillings from KES 100 to KES 50,000 (10,000 to 5,000,000 cents), varied by ``i``."""


def amount_minor(i: int) -> int:
    """``AMOUNT_SQL`` in Python."""
    return 100 * (100 + (i * 7919) % 49901)


@dataclass(frozen=True)
class Fund:
    """The chart's accounts and the Personal Loan product, as opened on a fresh database."""

    accounts: FundAccounts
    product_id: int
    terms: ProductTerms


def open_fund(sessions: Sessions, clock: Clock) -> Fund:
    with sessions.unit_of_work() as session:
        accounts = open_chart(Ledger(session, clock))
        product = session.scalars(select(Product).where(Product.code == "personal")).one()
        return Fund(accounts, product.id, ProductTerms.of(product))


def post_capital(
    ledger: Ledger,
    accounts: FundAccounts,
    amount_minor: int,
    key: str,
    effective_at: datetime | None = None,
) -> None:
    """Capital into the M-Pesa float."""
    ledger.post(
        EntryRequest(
            key,
            [
                PostingLine.debit(accounts[Acct.FLOAT], amount_minor),
                PostingLine.credit(accounts[Acct.CAPITAL], amount_minor),
            ],
            "Benchmark fund: capital into the M-Pesa float",
            effective_at=effective_at,
        )
    )


def portfolio_totals(session: Session) -> dict[str, int]:
    """What the loans owe: principal, interest and penalty, summed."""
    principal, interest, penalty = session.execute(
        select(
            func.sum(Loan.principal_outstanding_minor),
            func.sum(Loan.interest_outstanding_minor),
            func.sum(Loan.penalty_outstanding_minor),
        )
    ).one()
    return {
        "principal": int(principal or 0),
        "interest": int(interest or 0),
        "penalty": int(penalty or 0),
    }


def subledger_disagreements(sessions: Sessions, clock: Clock) -> list[str]:
    """The control accounts whose balance differs from the loans' (empty when they agree)."""
    with sessions.reader() as session:
        checks = check_subledger(session, Ledger(session, clock))
    return [
        f"{c.account.value}: subledger {c.subledger_minor} != ledger {c.ledger_minor}"
        for c in checks
        if not c.agrees
    ]


def closed_form_sql(days: str, terms: ProductTerms) -> dict[str, str]:
    """SQL for a loan's accrual state after ``days`` days (no cap reached, none stopped).

    Days 1 .. penalty_from_day - 1 accrue at the regular rate, later days at the penalty
    rate; the whole cents posted are floor(total units / UNITS_PER_MINOR) (see
    ``app.loan_math.interest``), each day's cents going to that day's kind. The principal is
    the column or alias ``p``.
    """
    last_regular = terms.penalty_from_day - 1
    regular_units = f"(p * {terms.regular_rate_bp} * LEAST({days}, {last_regular}))"
    penalty_units = f"(p * {terms.penalty_rate_bp} * GREATEST({days} - {last_regular}, 0))"
    total = f"({regular_units} + {penalty_units})"
    interest = f"({regular_units} / {UNITS_PER_MINOR})"
    return {
        "interest": interest,
        "penalty": f"({total} / {UNITS_PER_MINOR} - {interest})",
        "carry": f"({total} %% {UNITS_PER_MINOR})",  # in queries with parameters
    }


@contextmanager
def bulk(libpq_url: str, count: int, tables: Sequence[str]) -> Iterator[psycopg.Connection[Any]]:
    """One transaction inserting ids 1..count into ``tables``; then their id sequences moved
    past them and VACUUM ANALYZE, so the measured part meets settled tables."""
    with psycopg.connect(libpq_url) as conn:
        yield conn
        for table in tables:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (count,))
        conn.commit()
        conn.autocommit = True
        for table in tables:
            conn.execute(f"VACUUM (ANALYZE) {table}")


def insert_borrowers(
    conn: psycopg.Connection[Any],
    count: int,
    now: datetime,
    *,
    phone_indexes: Sequence[str] | None = None,
    pin_hash: str | None = None,
    score_band: str | None = None,
    credit_limit_minor: int = CREDIT_LIMIT_MINOR,
) -> None:
    """Borrowers 1..count, active and opted in. Placeholder text stands in for the encrypted
    fields; ``phone_indexes`` (blind indexes, one a borrower) let the API find them by phone."""
    if phone_indexes is None:
        source = "generate_series(1, %(count)s::bigint) AS i"
        phone_index = "'bench-phone-idx-' || i"
    else:
        source = "unnest(%(indexes)s::text[]) WITH ORDINALITY AS v(idx, i)"
        phone_index = "idx"
    conn.execute(
        f"""
        INSERT INTO borrowers (
            id, national_id_index, national_id_enc, phone_index, phone_enc, full_name_enc,
            date_of_birth_enc, status, terms_version, opted_in_at, pin_hash,
            pin_failed_attempts, credit_limit_minor, score_band, loans_repaid_on_time,
            savings_long_minor, savings_short_minor, savings_short_held_minor,
            credit_balance_minor, created_at, adult_on)
        SELECT i, 'bench-nid-idx-' || i, 'bench-nid-enc-' || i, {phone_index},
               'bench-phone-enc-' || i, 'bench-name-enc-' || i, 'bench-dob-enc-' || i,
               'active', %(terms_version)s, %(now)s,
               coalesce(%(pin_hash)s::text, 'bench-pin-hash-' || i), 0, %(limit)s,
               %(score_band)s::text, 0, 0, 0, 0, 0, %(now)s, DATE '2008-01-01'
        FROM {source}
        """,
        {
            "count": count,
            "indexes": list(phone_indexes or []),
            "terms_version": TERMS_VERSION,
            "now": now,
            "pin_hash": pin_hash,
            "limit": credit_limit_minor,
            "score_band": score_band,
        },
    )


def insert_active_loans(
    conn: psycopg.Connection[Any],
    fund: Fund,
    count: int,
    *,
    accrued_to: date,
    spread_days: int,
    now: datetime,
    account_numbers: Sequence[str] | None = None,
) -> None:
    """Loan i (1..count) for borrower i: principal ``AMOUNT_SQL``, disbursed ``i % spread``
    days before ``accrued_to`` and accrued to that day. Account numbers are placeholders
    unless given (the real ones carry the Luhn digit the C2B matcher checks)."""
    if account_numbers is None:
        source = (
            "(SELECT i, 'MK' || lpad(i::text, 10, '0') AS account"
            " FROM generate_series(1, %(count)s::bigint) AS i) AS s"
        )
    else:
        source = "unnest(%(numbers)s::text[]) WITH ORDINALITY AS s(account, i)"
    state = closed_form_sql("n", fund.terms)
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
               %(day)s::date - n, %(day)s::date - n + %(term_days)s, %(now)s
        FROM (SELECT i, account, {AMOUNT_SQL} AS p, (i %% %(spread)s)::int AS n
              FROM {source}) AS g
        """,
        {
            "count": count,
            "numbers": list(account_numbers or []),
            "product_id": fund.product_id,
            "terms": Jsonb(fund.terms.snapshot()),
            "limit": CREDIT_LIMIT_MINOR,
            "day": accrued_to,
            "term_days": fund.terms.term_days,
            "spread": spread_days,
            "now": now,
        },
    )
