"""The database itself refuses what would corrupt the books, even from raw SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db.engine import Database
from app.db.session import Sessions
from ledger import Ledger
from tests.support.books import Chart, open_chart
from tests.support.clock import FrozenClock
from tests.support.ledger_ops import fund
from tests.support.tamper import tamper


@pytest.fixture
def chart(sessions: Sessions, clock: FrozenClock) -> Chart:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = open_chart(ledger)
        fund(ledger, chart, 100_000)
    return chart


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_postings SET amount_minor = amount_minor + 1",
        "DELETE FROM ledger_postings",
        "UPDATE ledger_entries SET description = 'edited'",
        "DELETE FROM ledger_entries",
    ],
)
def test_postings_and_entries_cannot_be_updated_or_deleted(
    database: Database, chart: Chart, statement: str
) -> None:
    with pytest.raises(DBAPIError, match="append-only"), database.write_engine.begin() as conn:
        conn.execute(text(statement))


def test_a_constrained_account_cannot_be_overdrawn_even_past_the_totals_guard(
    database: Database, chart: Chart
) -> None:
    # The totals guard refuses this UPDATE first (tests/integration/test_ledger_totals_guard);
    # with it off, the CHECK constraint on the account row still refuses the overdraft.
    with pytest.raises(DBAPIError, match="credits_within_debits"):
        tamper(
            database,
            f"UPDATE ledger_accounts SET credits_posted = credits_posted + 100001 "
            f"WHERE id = {chart.float.id}",
        )


def test_a_posting_in_another_currency_than_its_account_is_refused(
    database: Database, chart: Chart
) -> None:
    with pytest.raises(DBAPIError), database.write_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ledger_postings (entry_id, account_id, currency, side, amount_minor, "
                "phase, effective_at) VALUES (1, :a, 'USD', 'D', 5, 'posted', CURRENT_TIMESTAMP)"
            ),
            {"a": chart.float.id},
        )


_RAW_POSTING = (
    "INSERT INTO ledger_postings (entry_id, account_id, currency, side, amount_minor, phase, "
    "effective_at) VALUES (:e, :a, 'KES', :s, :m, 'posted', now())"
)
_RAW_ENTRY = (
    "INSERT INTO ledger_entries (id, idempotency_key, content_hash, kind, description, meta, "
    "effective_at, booked_at) VALUES (900, 'raw', 'x', 'posted', 'raw', '{}', now(), now())"
)


@pytest.mark.postgres
def test_an_unbalanced_entry_written_by_raw_sql_fails_to_commit_on_postgres(
    pg_database: Database,
) -> None:
    with Sessions(pg_database).unit_of_work() as session:
        chart = open_chart(Ledger(session, FrozenClock()))

    def write_unbalanced() -> None:
        with pg_database.write_engine.begin() as conn:
            conn.execute(text(_RAW_ENTRY))
            for account_id, side, amount in (
                (chart.float.id, "D", 500),
                (chart.capital.id, "C", 499),
            ):
                conn.execute(
                    text(_RAW_POSTING), {"e": 900, "a": account_id, "s": side, "m": amount}
                )

    with pytest.raises(DBAPIError, match="unbalanced"):
        write_unbalanced()


@pytest.mark.postgres
def test_an_entry_without_postings_fails_to_commit_on_postgres(pg_database: Database) -> None:
    with (
        pytest.raises(DBAPIError, match="fewer than two"),
        pg_database.write_engine.begin() as conn,
    ):
        conn.execute(text(_RAW_ENTRY))


@pytest.mark.postgres
def test_a_posting_slipped_into_an_old_entry_fails_to_commit_on_postgres(
    pg_database: Database,
) -> None:
    with Sessions(pg_database).unit_of_work() as session:
        ledger = Ledger(session, FrozenClock())
        chart = open_chart(ledger)
        fund(ledger, chart, 1_000)
    with pytest.raises(DBAPIError, match="unbalanced"), pg_database.write_engine.begin() as conn:
        conn.execute(text(_RAW_POSTING), {"e": 1, "a": chart.float.id, "s": "D", "m": 5})
