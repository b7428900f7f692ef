"""The one door every ledger write goes through, for one entry or a batch: it checks the
batch against its accounts, then hands it to the path of the connection's database.

Two paths, one contract (the same items in, the same entries or typed errors out, tested
against one table of cases on both databases):
- PostgreSQL: ``write_path_pg`` sends the whole batch to ``ledger_write(jsonb)`` in one round
  trip; the function locks, checks and inserts, and writes nothing when it refuses.
- SQLite: ``write_path_sqlite`` does the same in Python, a few statements per batch, inside
  the caller's SAVEPOINT (an embedded database has no round trips to save).

Imports run one way: ``writes`` -> here -> the two paths -> ``write_batch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from ledger import entry_checks
from ledger.types import Entry
from ledger.write_batch import Replay, WriteItem
from ledger.write_path_pg import write_items_pg
from ledger.write_path_sqlite import write_items_sqlite


def write_items(
    conn: Connection, items: Sequence[WriteItem], booked_at: datetime, replay: Replay
) -> list[Entry]:
    """Write the items; replays return the first entries.

    On PostgreSQL one ``ledger_write`` call does the writing and writes nothing when it
    refuses; on SQLite the caller must hold a savepoint (``needs_savepoint``).
    """
    account_ids = {line.account_id for item in items for line, _ in item.new_lines}
    account_ids |= {p.account_id for item in items for p in item.released}
    facts = entry_checks.fetch_facts(conn, account_ids)
    for item in items:
        entry_checks.check_lines(facts, [line for line, _ in item.new_lines])
    if conn.dialect.name == "postgresql":
        return write_items_pg(conn, items, booked_at, replay, facts)
    return write_items_sqlite(conn, items, booked_at, replay, facts)


def needs_savepoint(conn: Connection) -> bool:
    """Whether a refusal can leave writes behind (it cannot on PostgreSQL)."""
    return conn.dialect.name != "postgresql"
