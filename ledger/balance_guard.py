"""The accounts' running totals move only through the write path: the database guard.

``ledger_accounts`` carries each account's four totals (debits and credits, posted and
pending), kept by the write path so balances and overdraft checks need no sum over postings.
A plain ``UPDATE ledger_accounts SET debits_posted = ...`` must not be able to inflate them.

PostgreSQL: the totals are moved by the database itself, from the rows inserted. A
statement-level trigger on ``ledger_postings`` adds each inserted batch's sums to its accounts
(one UPDATE per statement, in the lock order ``ledger_write`` already holds), and one on
``ledger_entries`` takes a resolved hold's pending amounts off them. A row trigger on
``ledger_accounts`` refuses any change of a total unless it is made by one of those triggers
(``pg_trigger_depth() > 1``): no flag a session could set, no function it could call. Only
the table's owner or a superuser, who can disable triggers, gets past it.

SQLite has no statement triggers and no trigger depth, so the Python write path moves the
totals, and a trigger refuses any change of a total unless the SQL function
``ledger_write_path_is_moving_balances()`` answers 1. That function exists only on
connections of this process (registered by ``register_sqlite_function``) and answers 1 only
while ``moving_balances`` runs: no SQL statement can turn it on, and on any other connection
(the ``sqlite3`` shell) the update fails for want of the function. Whoever can write the
file can still drop the trigger — SQLite has no privileges — which is why ``verify``
recomputes every total from the postings.

On both, an account opens with zero totals (an INSERT with others is refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

BALANCE_COLUMNS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
SQLITE_FUNCTION = "ledger_write_path_is_moving_balances"
_FLAG_KEY = "ledger.balance_guard_flag"
_REFUSED = "ledger_accounts totals move only through the ledger write path"
_OPENED_EMPTY = "an account opens with zero totals"
_MOVED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in BALANCE_COLUMNS)
_NONZERO = " OR ".join(f"NEW.{c} <> 0" for c in BALANCE_COLUMNS)

_PG_INSTALL = [
    """
    CREATE FUNCTION ledger_apply_postings() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE ledger_accounts a SET
            debits_posted = a.debits_posted + d.dp, credits_posted = a.credits_posted + d.cp,
            debits_pending = a.debits_pending + d.dq, credits_pending = a.credits_pending + d.cq
        FROM (
            SELECT account_id,
                   coalesce(sum(amount_minor) FILTER (WHERE side = 'D' AND phase = 'posted'), 0),
                   coalesce(sum(amount_minor) FILTER (WHERE side = 'C' AND phase = 'posted'), 0),
                   coalesce(sum(amount_minor) FILTER (WHERE side = 'D' AND phase = 'pending'), 0),
                   coalesce(sum(amount_minor) FILTER (WHERE side = 'C' AND phase = 'pending'), 0)
            FROM new_postings GROUP BY account_id
        ) AS d (account_id, dp, cp, dq, cq)
        WHERE a.id = d.account_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION ledger_release_holds() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE ledger_accounts a SET
            debits_pending = a.debits_pending - d.dq, credits_pending = a.credits_pending - d.cq
        FROM (
            SELECT h.account_id,
                   coalesce(sum(h.amount_minor) FILTER (WHERE h.side = 'D'), 0),
                   coalesce(sum(h.amount_minor) FILTER (WHERE h.side = 'C'), 0)
            FROM new_entries r JOIN ledger_postings h ON h.entry_id = r.pending_entry_id
            WHERE r.pending_entry_id IS NOT NULL AND h.phase = 'pending'
            GROUP BY h.account_id
        ) AS d (account_id, dq, cq)
        WHERE a.id = d.account_id;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION ledger_guard_balances() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            RAISE EXCEPTION '{_OPENED_EMPTY} (%)', NEW.code USING ERRCODE = 'check_violation';
        END IF;
        -- Depth 1 is this trigger itself: the UPDATE came from a client, not a ledger trigger.
        IF pg_trigger_depth() < 2 THEN
            RAISE EXCEPTION '{_REFUSED} (account %)', OLD.code
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER ledger_postings_move_balances AFTER INSERT ON ledger_postings "
    "REFERENCING NEW TABLE AS new_postings "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_postings()",
    "CREATE TRIGGER ledger_entries_release_holds AFTER INSERT ON ledger_entries "
    "REFERENCING NEW TABLE AS new_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_release_holds()",
    f"CREATE TRIGGER ledger_accounts_balances_guard BEFORE UPDATE OF {', '.join(BALANCE_COLUMNS)} "
    f"ON ledger_accounts FOR EACH ROW WHEN ({_MOVED}) EXECUTE FUNCTION ledger_guard_balances()",
    "CREATE TRIGGER ledger_accounts_open_empty BEFORE INSERT ON ledger_accounts "
    f"FOR EACH ROW WHEN ({_NONZERO}) EXECUTE FUNCTION ledger_guard_balances()",
]
_PG_UNINSTALL = [
    "DROP TRIGGER IF EXISTS ledger_accounts_open_empty ON ledger_accounts",
    "DROP TRIGGER IF EXISTS ledger_accounts_balances_guard ON ledger_accounts",
    "DROP TRIGGER IF EXISTS ledger_entries_release_holds ON ledger_entries",
    "DROP TRIGGER IF EXISTS ledger_postings_move_balances ON ledger_postings",
    "DROP FUNCTION IF EXISTS ledger_guard_balances()",
    "DROP FUNCTION IF EXISTS ledger_release_holds()",
    "DROP FUNCTION IF EXISTS ledger_apply_postings()",
]
_SQLITE_INSTALL = [
    f"CREATE TRIGGER ledger_accounts_balances_guard BEFORE UPDATE OF "
    f"{', '.join(BALANCE_COLUMNS)} ON ledger_accounts "
    f"WHEN ({_MOVED.replace('IS DISTINCT FROM', 'IS NOT')}) AND NOT {SQLITE_FUNCTION}() "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END",
    f"CREATE TRIGGER ledger_accounts_open_empty BEFORE INSERT ON ledger_accounts "
    f"WHEN {_NONZERO} BEGIN SELECT RAISE(ABORT, '{_OPENED_EMPTY}'); END",
]
_SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS ledger_accounts_open_empty",
    "DROP TRIGGER IF EXISTS ledger_accounts_balances_guard",
]


def install_statements(dialect: str) -> list[str]:
    """The guard (migration 0014). On PostgreSQL, ``ledger_write`` must then stop moving the
    totals itself (``ddl_write_function.CREATE`` is the version that leaves it to these)."""
    return list(_by_dialect(dialect, _PG_INSTALL, _SQLITE_INSTALL))


def uninstall_statements(dialect: str) -> list[str]:
    return list(_by_dialect(dialect, _PG_UNINSTALL, _SQLITE_UNINSTALL))


def _by_dialect(dialect: str, postgresql: list[str], sqlite: list[str]) -> list[str]:
    if dialect == "postgresql":
        return postgresql
    if dialect == "sqlite":
        return sqlite
    raise ValueError(f"unsupported database dialect: {dialect}")


class _Flag:
    """Whether this SQLite connection's write path is moving totals right now."""

    __slots__ = ("on",)

    def __init__(self) -> None:
        self.on = False

    def __call__(self) -> int:
        return 1 if self.on else 0


def register_sqlite_function(dbapi_connection: Any, connection_info: dict[Any, Any]) -> None:
    """Give a new SQLite connection the guard's function (off); call it on connect."""
    flag = _Flag()
    dbapi_connection.create_function(SQLITE_FUNCTION, 0, flag)
    connection_info[_FLAG_KEY] = flag


@contextmanager
def moving_balances(conn: Connection) -> Iterator[None]:
    """Let this connection's balance UPDATEs through the SQLite guard, for the block only."""
    pooled = conn.connection
    flag = pooled.info.get(_FLAG_KEY)
    if flag is None:  # an engine that did not register it on connect
        register_sqlite_function(pooled.dbapi_connection, pooled.info)
        flag = pooled.info[_FLAG_KEY]
    flag.on = True
    try:
        yield
    finally:
        flag.on = False
