"""The database itself refuses what would corrupt the books, even from raw SQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db.engine import Database
from app.db.session import Sessions
from ledger import Ledger, balanced_entry_guard
from tests.support.books import Chart, open_chart
from tests.support.clock import FrozenClock
from tests.support.ledger_ops import fund, funded_chart
from tests.support.tamper import tamper


@pytest.fixture
def chart(sessions: Sessions, clock: FrozenClock) -> Chart:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        chart = funded_chart(ledger, 100_000)
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


_RAW_ENTRY = (
    "INSERT INTO ledger_entries (id, idempotency_key, content_hash, kind, description, meta, "
    "effective_at, booked_at) VALUES (:e, :key, 'x', 'posted', 'raw', '{}', "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)
_RAW_POSTING = (
    "INSERT INTO ledger_postings (entry_id, account_id, currency, side, amount_minor, phase, "
    "effective_at) VALUES (:e, :a, 'KES', :s, :m, 'posted', CURRENT_TIMESTAMP)"
)
_PROOF = f"INSERT INTO {balanced_entry_guard.PROOF_TABLE} (entry_id) VALUES (:e)"
_NEW, _FIRST = 900, 1  # a raw entry's id; the funding entry of the chart fixture


@dataclass(frozen=True)
class RawWrite:
    """Rows written past the ledger's API, as a bug or an intruder with SQL might."""

    name: str
    postings: list[tuple[str, str, int]]
    """(account: float or capital, side, amount) lines"""
    new_entry: bool = True
    """Insert entry 900 for the postings; else they go into the chart's first entry."""
    proved: bool = True
    """On SQLite, also insert the proof the write path inserts (a forger would)."""
    refused: str | None = None
    """What the database answers (a regex over both databases' words), None if it commits."""
    postgres_refuses: bool = True
    """False where only SQLite's proof is missing: PostgreSQL then commits a balanced entry."""


RAW_WRITES = [
    RawWrite("a balanced entry commits", [("float", "D", 500), ("capital", "C", 500)]),
    RawWrite(
        "an unbalanced entry is refused",
        [("float", "D", 500), ("capital", "C", 499)],
        refused="unbalanced",
    ),
    RawWrite(
        "an unbalanced entry without its proof fails to commit",
        [("float", "D", 500), ("capital", "C", 499)],
        proved=False,
        refused="unbalanced|FOREIGN KEY constraint failed",
    ),
    RawWrite(
        "a balanced entry without its proof fails to commit on SQLite",
        [("float", "D", 500), ("capital", "C", 500)],
        proved=False,
        refused="FOREIGN KEY constraint failed",
        postgres_refuses=False,
    ),
    RawWrite("an entry without postings is refused", [], refused="fewer than two"),
    RawWrite(
        "a balanced entry of three postings commits",
        [("float", "D", 500), ("capital", "C", 250), ("capital", "C", 250)],
    ),
    RawWrite(
        "a posting slipped into an old entry is refused",
        [("float", "D", 5)],
        new_entry=False,
        proved=False,
        refused="unbalanced|no posting may join it",
    ),
]


@pytest.mark.parametrize("raw", RAW_WRITES, ids=[raw.name for raw in RAW_WRITES])
def test_the_database_refuses_an_unbalanced_entry_written_past_the_api(
    database: Database, chart: Chart, raw: RawWrite
) -> None:
    """On SQLite by the proof of ``ledger.balanced_entry_guard``, on PostgreSQL by the
    deferred trigger of ``ledger.ddl``: at the insert or at COMMIT, never later."""
    sqlite = database.dialect == "sqlite"
    refused = raw.refused if sqlite or raw.postgres_refuses else None
    accounts = {"float": chart.float.id, "capital": chart.capital.id}
    entry_id = _NEW if raw.new_entry else _FIRST

    def write() -> None:
        with database.write_engine.begin() as conn:
            if raw.new_entry:
                conn.execute(text(_RAW_ENTRY), {"e": entry_id, "key": "raw"})
            for account, side, amount in raw.postings:
                conn.execute(
                    text(_RAW_POSTING),
                    {"e": entry_id, "a": accounts[account], "s": side, "m": amount},
                )
            if sqlite and raw.proved:
                conn.execute(text(_PROOF), {"e": entry_id})

    if refused is None:
        write()
        return
    with pytest.raises(DBAPIError, match=refused):
        write()
    with database.read_engine.connect() as conn:
        counted = conn.execute(
            text("SELECT count(*) FROM ledger_postings WHERE entry_id = :e"), {"e": entry_id}
        ).scalar_one()
    assert counted == (0 if raw.new_entry else 2)


def test_a_proof_owed_cannot_be_struck_out_on_sqlite(sqlite_database: Database) -> None:
    with Sessions(sqlite_database).unit_of_work() as session:
        ledger = Ledger(session, FrozenClock())
        fund(ledger, open_chart(ledger), 1_000)
    for table in balanced_entry_guard.SQLITE_ONLY_TABLES:
        with (
            pytest.raises(DBAPIError, match="append-only"),
            sqlite_database.write_engine.begin() as conn,
        ):
            conn.execute(text(f"DELETE FROM {table}"))
