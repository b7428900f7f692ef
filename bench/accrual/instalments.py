"""The accrual benchmark's share of instalment loans: every ``INSTALMENT_EVERY``-th loan of
the portfolio is made on a group-style instalment product (7% a year, 3 monthly EMI
instalments, ACT/365) instead of the Personal Loan, with its schedule written to
``loan_instalments`` by the lending core's own engine (``instalment_schedule``, ``rows_of``).

Disbursed at most ``SPREAD_DAYS`` days before D, none of them has an instalment due by D: the
night moves them a day (the locked read of the loan and its rows, the penalty loop finding
nothing overdue) and recognises nothing, which is what the checks expect of them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from app.db.session import Sessions
from app.lending.instalments import rows_of
from app.lending.quotes import instalment_schedule
from app.products.models import Product
from app.products.terms import ProductTerms
from bench.common.seed import amount_minor

INSTALMENT_EVERY = 10
"""One loan in ten (ids divisible by it) is an instalment loan."""
CODE = "group3"
_COLUMNS = (
    "loan_id",
    "number",
    "due_on",
    "period_start",
    "principal_minor",
    "interest_minor",
    "period_interest_minor",
    "total_minor",
    "interest_recognised_minor",
    "paid_principal_minor",
    "paid_interest_minor",
    "penalty_minor",
    "paid_penalty_minor",
    "penalty_carry_units",
    "status",
)


def add_product(sessions: Sessions, now: datetime) -> tuple[int, ProductTerms]:
    """The instalment product the share is lent on: (id, terms)."""
    with sessions.unit_of_work() as session:
        product = Product(
            code=CODE,
            name="Group Loan (3 months)",
            min_amount_minor=100_00,
            max_amount_minor=1_000_000_00,
            term_days=92,
            regular_rate_bp=700,
            penalty_rate_bp=150,
            penalty_from_day=1,
            default_day=30,
            accrual_stop_day=365,
            savings_bp=500,
            savings_long_bp=7000,
            allocation_order=["penalty", "interest", "principal"],
            eligible_bands=None,
            active=True,
            version=1,
            updated_at=now,
            kind="instalment",
            schedule_method="emi",
            schedule_frequency="monthly",
            instalment_count=3,
            schedule_rounding="cents",
            schedule_day_count="act365",
            grace_principal=0,
            grace_interest=0,
            default_after_dpd=30,
        )
        session.add(product)
        session.flush()
        return product.id, ProductTerms.of(product)


def instalment_ids(size: int) -> range:
    return range(INSTALMENT_EVERY, size + 1, INSTALMENT_EVERY)


def convert_share(
    conn: psycopg.Connection[Any],
    product: tuple[int, ProductTerms],
    size: int,
    accrued_to: date,
    spread_days: int,
) -> int:
    """Turn the share's loans (inserted as Personal Loans) into instalment loans as
    disbursement would have left them, accrued to ``accrued_to`` (nothing due yet); returns
    how many."""
    product_id, terms = product
    ids = instalment_ids(size)
    with conn.cursor().copy(f"COPY loan_instalments ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for i in ids:
            start = accrued_to - timedelta(days=i % spread_days)
            schedule = instalment_schedule(terms, amount_minor(i), start)
            for row in rows_of(i, schedule.instalments):
                values = [getattr(row, column) for column in _COLUMNS]
                copy.write_row([0 if value is None else value for value in values])
    conn.execute(
        """
        UPDATE loans SET product_id = %(product_id)s, product_terms = %(terms)s,
               interest_outstanding_minor = 0, penalty_outstanding_minor = 0,
               interest_accrued_minor = 0, penalty_accrued_minor = 0, carry_units = 0,
               due_on = last.due_on
        FROM (SELECT loan_id, max(due_on) AS due_on FROM loan_instalments GROUP BY loan_id)
             AS last
        WHERE loans.id = last.loan_id
        """,
        {"product_id": product_id, "terms": Jsonb(terms.snapshot())},
    )
    return len(ids)


def instalment_loans_off(libpq_url: str, through: date) -> int:
    """Instalment loans NOT at day ``through`` with nothing recognised or charged (and rows
    untouched): what a night before any due date leaves."""
    with psycopg.connect(libpq_url) as conn:
        row = conn.execute(
            """
            SELECT count(*) FROM loans l
            WHERE l.product_terms->>'kind' = 'instalment'
              AND (l.days_accrued <> %s::date - l.disbursed_on
                   OR l.interest_accrued_minor <> 0 OR l.penalty_accrued_minor <> 0
                   OR l.interest_outstanding_minor <> 0 OR l.penalty_outstanding_minor <> 0
                   OR EXISTS (SELECT 1 FROM loan_instalments r WHERE r.loan_id = l.id
                              AND (r.interest_recognised_minor <> 0 OR r.penalty_minor <> 0)))
            """,
            (through,),
        ).fetchone()
    return int(row[0]) if row else -1
