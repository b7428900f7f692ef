"""Any sequence of nights and payments on an instalment loan (KES 12,000 over 3 monthly
instalments, a penalty rate and start day drawn) keeps the books and the instalments true.

After every step: the loan's outstanding columns are the sums over its instalments, the
trial balance nets to zero and the subledger agrees (``checked_loan``); no instalment part
is paid above what it owes; the penalty never exceeds the in-duplum cap (principal less the
scheduled interest); and money is conserved: everything paid = what the instalments
received (penalty, interest, principal) + the borrower's credit balance.

Each example gets a fresh SQLite database (a copy of the migrated template) and clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db.engine import make_database
from app.db.session import Sessions
from app.settings import Settings
from tests.support.clock import FrozenClock
from tests.support.databases import SqliteFactory
from tests.support.instalments import (
    GROUP_PRINCIPAL,
    checked_loan,
    instalment_rows,
    open_group_loan,
)
from tests.support.lending import KES, Fund, open_fund

SCHEDULED_INTEREST = 141_43
steps = st.lists(
    st.one_of(
        st.tuples(st.just("nights"), st.integers(1, 12)),
        st.tuples(st.just("pay"), st.integers(1, 6_000 * KES)),
    ),
    min_size=1,
    max_size=25,
)


@contextmanager
def fresh_fund(factory: SqliteFactory, key_dir: Path) -> Iterator[Fund]:
    name, url = factory.create()
    database = make_database(Settings(database_url=url, database_pool_size=5))
    try:
        yield open_fund(Sessions(database), FrozenClock(), key_dir)
    finally:
        database.dispose()
        factory.drop(name)


def _check(fund: Fund, loan_id: int, borrower_id: int, paid_minor: int) -> None:
    loan = checked_loan(fund, loan_id)
    rows = instalment_rows(fund, loan_id)
    for row in rows:
        assert 0 <= row.paid_principal_minor <= row.principal_minor
        assert 0 <= row.paid_interest_minor <= row.interest_recognised_minor <= row.interest_minor
        assert 0 <= row.paid_penalty_minor <= row.penalty_minor
    assert loan.penalty_accrued_minor <= GROUP_PRINCIPAL - SCHEDULED_INTEREST
    received = sum(row.paid_minor for row in rows)
    assert paid_minor == received + fund.borrower(borrower_id).credit_balance_minor


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=steps,
    penalty_rate_bp=st.sampled_from([150, 3_650, 365_000]),
    penalty_from_day=st.integers(1, 10),
)
def test_nights_and_payments_keep_the_books_and_never_overcharge(
    sqlite_factory: SqliteFactory,
    tmp_path: Path,
    steps: list[tuple[str, int]],
    penalty_rate_bp: int,
    penalty_from_day: int,
) -> None:
    with fresh_fund(sqlite_factory, tmp_path) as fund:
        terms = {"penalty_rate_bp": penalty_rate_bp, "penalty_from_day": penalty_from_day}
        borrower_id, loan_id = open_group_loan(fund, **terms)
        paid = 0
        for n, (kind, value) in enumerate(steps):
            if kind == "nights":
                fund.days_pass(value * 3)  # up to 36 days in one catch-up
            else:
                fund.repay(loan_id, value, f"P{n}")
                paid += value
            _check(fund, loan_id, borrower_id, paid)
