"""The accrual benchmark's portfolio: N borrowers with N active loans (one in ten on an
instalment product, ``bench.accrual.instalments``, the rest Personal Loans), disbursed
``id % 20`` days before D0 = D - 1 and accrued to D0 exactly as the job would have left
them, plus ONE opening ledger entry putting their principal, interest and penalty in the
control accounts (1200/1210/1220), so the subledger agrees with the ledger before the run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg

from app.accounting.chart import Acct, FundAccounts
from app.clock import EAT, business_date, system_clock
from app.db.session import Sessions
from app.loan_math.interest import UNITS_PER_MINOR, AccrualState, accrue_day
from app.products.terms import ProductTerms
from bench.accrual import instalments
from bench.accrual.checks import SPREAD_DAYS, state_matches_closed_form
from bench.common import seed
from bench.common.databases import Scratch, migrate
from bench.common.measure import Stopwatch
from bench.common.report import logger
from ledger import EntryRequest, Ledger, PostingLine

CLOCK = system_clock
"""The job runs on the real clock; the business date D is passed explicitly."""

log = logger("accrual-bench")


def check_closed_form(terms: ProductTerms, rng: random.Random) -> None:
    """The SQL closed form, in Python, against ``accrue_day`` for sample loans and days."""
    schedule = terms.schedule
    last_regular = terms.penalty_from_day - 1
    for _ in range(300):
        p = 100 * (100 + rng.randrange(49901))
        state = AccrualState()
        for n in range(1, SPREAD_DAYS + 2):
            state, _ = accrue_day(state, p, p, schedule)
            regular = p * terms.regular_rate_bp * min(n, last_regular)
            total = regular + p * terms.penalty_rate_bp * max(n - last_regular, 0)
            interest = regular // UNITS_PER_MINOR
            expected = (interest, total // UNITS_PER_MINOR - interest, total % UNITS_PER_MINOR)
            got = (state.interest_minor, state.penalty_minor, state.carry_units)
            if got != expected:
                raise SystemExit(f"closed form disagrees with accrue_day: p={p} day={n}")


def post_opening_balances(sessions: Sessions, accounts: FundAccounts, d0: date) -> dict[str, int]:
    """One entry: the portfolio's principal, interest and penalty into the control accounts."""
    with sessions.unit_of_work() as session:
        totals = seed.portfolio_totals(session)
        pairs = [
            (Acct.PRINCIPAL, Acct.CAPITAL, totals["principal"]),
            (Acct.INTEREST, Acct.INTEREST_INCOME, totals["interest"]),
            (Acct.PENALTY, Acct.PENALTY_INCOME, totals["penalty"]),
        ]
        lines = []
        for debit, credit, amount in pairs:
            if amount:
                lines += [
                    PostingLine.debit(accounts[debit], amount),
                    PostingLine.credit(accounts[credit], amount),
                ]
        Ledger(session, CLOCK).post(
            EntryRequest(
                "bench:accrual:opening-balances",
                lines,
                "Benchmark portfolio: opening principal, interest and penalty receivable",
                effective_at=datetime.combine(d0, datetime.min.time(), tzinfo=EAT),
            )
        )
    return totals


@dataclass
class Portfolio:
    scratch: Scratch
    sessions: Sessions
    terms: ProductTerms
    through: date
    opening: dict[str, int]
    setup_s: float
    create_s: float
    instalment_loans: int


def prepare(scratch: Scratch, sessions: Sessions, size: int, fillfactor: int | None) -> Portfolio:
    """Migrate, open the chart, create the loans, post the opening balances; check them."""
    through = business_date(CLOCK())
    d0 = through - timedelta(days=1)
    watch = Stopwatch()
    migrate(scratch.url)
    fund = seed.open_fund(sessions, CLOCK)
    check_closed_form(fund.terms, random.Random(size))
    group = instalments.add_product(sessions, CLOCK())
    setup_s = watch.seconds()
    watch = Stopwatch()
    with seed.bulk(scratch.libpq_url, size, ["borrowers", "loans"]) as conn:
        if fillfactor is not None:  # an experiment: the schema leaves it at 100
            conn.execute(f"ALTER TABLE loans SET (fillfactor = {int(fillfactor)})")
        seed.insert_borrowers(conn, size, CLOCK())
        seed.insert_active_loans(
            conn, fund, size, accrued_to=d0, spread_days=SPREAD_DAYS, now=CLOCK()
        )
        share = instalments.convert_share(conn, group, size, d0, SPREAD_DAYS)
    with psycopg.connect(scratch.libpq_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) loan_instalments")
    opening = post_opening_balances(sessions, fund.accounts, d0)
    scratch.checkpoint()
    create_s = watch.seconds()
    log(f"  created {size:,} borrowers and loans ({share:,} instalment) in {create_s:.1f} s")
    off = state_matches_closed_form(scratch.libpq_url, d0, fund.terms)
    off += instalments.instalment_loans_off(scratch.libpq_url, d0)
    if off:
        raise SystemExit(f"setup: {off} loans are not at their closed-form state for D - 1")
    disagreements = seed.subledger_disagreements(sessions, CLOCK)
    if disagreements:
        raise SystemExit(f"setup: subledger disagrees before the run: {disagreements}")
    return Portfolio(scratch, sessions, fund.terms, through, opening, setup_s, create_s, share)
