"""SQLite's database-side guard that every journal entry balances (migration 0016).

PostgreSQL checks each entry at COMMIT with deferred constraint triggers (``ledger.ddl``).
SQLite has no deferred triggers, and a row trigger on ``ledger_postings`` sees one posting
at a time: while the write path's multi-row INSERT runs, an entry is unbalanced between its
first and last posting. The one check SQLite does defer to COMMIT is a foreign key declared
``DEFERRABLE INITIALLY DEFERRED``, so the guard is built on one:

- inserting an entry makes it owe a proof: a trigger adds its id to ``ledger_balance_due``,
  whose foreign key to ``ledger_balance_proofs`` is checked at COMMIT. A transaction that
  inserts an entry and no proof of it fails to commit ("FOREIGN KEY constraint failed").
- a proof is a row of ``ledger_balance_proofs``, refused by a trigger unless the entry's
  postings, as they stand, balance per currency and phase and are at least two (none for a
  void or an expiry) — the rules of PostgreSQL's trigger.
- once an entry is proven, no posting may join it (a trigger on ``ledger_postings``), so
  what was proven stays true; both tables are append-only, so a debt cannot be deleted.

The write path proves its new entries after inserting their postings (``prove_balanced``),
one statement per batch. Invariant: every committed entry has been proven balanced after its
last posting. Limits, as for the totals' guard (``ledger.balance_guard``): the guard needs
``PRAGMA foreign_keys=ON`` (every connection of ``app.db.engine`` sets it), and whoever can
write the file can drop the triggers or turn foreign keys off; ``verify`` recomputes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

DUE_TABLE = "ledger_balance_due"
PROOF_TABLE = "ledger_balance_proofs"
SQLITE_ONLY_TABLES = (DUE_TABLE, PROOF_TABLE)
"""Tables that exist on SQLite only, outside the ORM's metadata (``alembic check`` skips them)."""

_NO_POSTINGS_KINDS = "('void_pending', 'expire_pending')"
_KIND = "(SELECT kind FROM ledger_entries WHERE id = NEW.entry_id)"
_POSTINGS = "FROM ledger_postings WHERE entry_id = NEW.entry_id"

_INSTALL = [
    f"CREATE TABLE IF NOT EXISTS {PROOF_TABLE} ("
    "entry_id INTEGER NOT NULL PRIMARY KEY REFERENCES ledger_entries (id))",
    f"CREATE TABLE IF NOT EXISTS {DUE_TABLE} ("
    f"entry_id INTEGER NOT NULL PRIMARY KEY REFERENCES {PROOF_TABLE} (entry_id) "
    "DEFERRABLE INITIALLY DEFERRED)",
    # The rules of ledger_check_entry_balanced() (PostgreSQL), against the postings as they
    # stand when the proof is inserted.
    f"""
    CREATE TRIGGER IF NOT EXISTS {PROOF_TABLE}_check BEFORE INSERT ON {PROOF_TABLE}
    BEGIN
        SELECT RAISE(ABORT, 'ledger entry is a void or expiry and must have no postings')
        WHERE {_KIND} IN {_NO_POSTINGS_KINDS} AND EXISTS (SELECT 1 {_POSTINGS});
        SELECT RAISE(ABORT, 'ledger entry has fewer than two postings')
        WHERE {_KIND} NOT IN {_NO_POSTINGS_KINDS} AND (SELECT count(*) {_POSTINGS}) < 2;
        SELECT RAISE(ABORT, 'ledger entry is unbalanced')
        WHERE EXISTS (
            SELECT 1 {_POSTINGS} GROUP BY currency, phase
            HAVING sum(CASE side WHEN 'D' THEN amount_minor ELSE -amount_minor END) <> 0);
    END
    """,
    # Entries from before this guard: proven now, and owing what they have proven. SQLite
    # runs this DDL outside a transaction, so a migration that meets an unbalanced entry
    # stops here with the tables made: every statement can run again (IF NOT EXISTS).
    f"INSERT INTO {PROOF_TABLE} (entry_id) SELECT id FROM ledger_entries "
    f"WHERE id NOT IN (SELECT entry_id FROM {PROOF_TABLE}) ORDER BY id",
    f"INSERT INTO {DUE_TABLE} (entry_id) SELECT id FROM ledger_entries "
    f"WHERE id NOT IN (SELECT entry_id FROM {DUE_TABLE}) ORDER BY id",
    f"""
    CREATE TRIGGER IF NOT EXISTS ledger_entries_owe_balance_proof AFTER INSERT ON ledger_entries
    BEGIN INSERT INTO {DUE_TABLE} (entry_id) VALUES (NEW.id); END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS ledger_postings_not_after_proof BEFORE INSERT ON ledger_postings
    WHEN EXISTS (SELECT 1 FROM {PROOF_TABLE} WHERE entry_id = NEW.entry_id)
    BEGIN SELECT RAISE(ABORT, 'ledger entry is proven balanced: no posting may join it'); END
    """,
    *(
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'ledger table {table} is append-only ({op} refused)'); END"
        for table in SQLITE_ONLY_TABLES
        for op in ("UPDATE", "DELETE")
    ),
]
_UNINSTALL = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_no_{op}"
        for table in SQLITE_ONLY_TABLES
        for op in ("update", "delete")
    ),
    "DROP TRIGGER IF EXISTS ledger_postings_not_after_proof",
    "DROP TRIGGER IF EXISTS ledger_entries_owe_balance_proof",
    f"DROP TRIGGER IF EXISTS {PROOF_TABLE}_check",
    f"DROP TABLE IF EXISTS {DUE_TABLE}",
    f"DROP TABLE IF EXISTS {PROOF_TABLE}",
]
_PROVE = text(f"INSERT INTO {PROOF_TABLE} (entry_id) VALUES (:entry_id)")


def install_statements(dialect: str) -> list[str]:
    """The guard on SQLite; nothing on PostgreSQL, whose deferred triggers already check."""
    return list(_INSTALL) if _sqlite(dialect) else []


def uninstall_statements(dialect: str) -> list[str]:
    return list(_UNINSTALL) if _sqlite(dialect) else []


def _sqlite(dialect: str) -> bool:
    if dialect not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database dialect: {dialect}")
    return dialect == "sqlite"


def prove_balanced(conn: Connection, entry_ids: Sequence[int]) -> None:
    """Prove these entries balanced to the SQLite guard, after all their postings are in."""
    if entry_ids:
        conn.execute(_PROVE, [{"entry_id": entry_id} for entry_id in entry_ids])
