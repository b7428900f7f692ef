"""Database-side guards of the audit log (the approach of ``ledger/ddl.py``, own tables).

- ``audit_log`` is append-only: UPDATE, DELETE (and TRUNCATE on PostgreSQL) are refused.
- ``audit_chain_head`` is never deleted, and an UPDATE must advance it by exactly one onto
  a record that exists and links to the previous head: the chain can only grow at its end,
  one linked record at a time, whatever the Python code does.

Migration 0010 runs ``install_statements(dialect)`` / ``uninstall_statements(dialect)``.
"""

from __future__ import annotations

APPEND_ONLY = "audit_log"
HEAD = "audit_chain_head"

# The head may only move to the next record, which must link to the old head.
_ADVANCES = (
    "NEW.id = OLD.id AND NEW.length = OLD.length + 1 AND EXISTS ("
    "SELECT 1 FROM audit_log WHERE id = NEW.length AND hash = NEW.last_hash "
    "AND prev_hash = OLD.last_hash)"
)

_PG_FUNCTIONS = [
    """
    CREATE FUNCTION audit_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit table % is append-only (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END $$
    """,
    f"""
    CREATE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT ({_ADVANCES}) THEN
            RAISE EXCEPTION 'audit chain head may only advance by one linked record'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
]


def _pg_install() -> list[str]:
    return [
        *_PG_FUNCTIONS,
        f"CREATE TRIGGER {APPEND_ONLY}_append_only BEFORE UPDATE OR DELETE ON {APPEND_ONLY} "
        "FOR EACH ROW EXECUTE FUNCTION audit_forbid_change()",
        f"CREATE TRIGGER {APPEND_ONLY}_no_truncate BEFORE TRUNCATE ON {APPEND_ONLY} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_forbid_change()",
        f"CREATE TRIGGER {HEAD}_no_delete BEFORE DELETE ON {HEAD} "
        "FOR EACH ROW EXECUTE FUNCTION audit_forbid_change()",
        f"CREATE TRIGGER {HEAD}_no_truncate BEFORE TRUNCATE ON {HEAD} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_forbid_change()",
        f"CREATE TRIGGER {HEAD}_advance BEFORE UPDATE ON {HEAD} "
        "FOR EACH ROW EXECUTE FUNCTION audit_head_advance()",
    ]


def _pg_uninstall() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {HEAD}_advance ON {HEAD}",
        f"DROP TRIGGER IF EXISTS {HEAD}_no_truncate ON {HEAD}",
        f"DROP TRIGGER IF EXISTS {HEAD}_no_delete ON {HEAD}",
        f"DROP TRIGGER IF EXISTS {APPEND_ONLY}_no_truncate ON {APPEND_ONLY}",
        f"DROP TRIGGER IF EXISTS {APPEND_ONLY}_append_only ON {APPEND_ONLY}",
        "DROP FUNCTION IF EXISTS audit_head_advance()",
        "DROP FUNCTION IF EXISTS audit_forbid_change()",
    ]


def sqlite_append_only_triggers() -> list[str]:
    """The two triggers that keep ``audit_log`` append-only on SQLite (tests drop and
    recreate them to play a tamperer who has the database file)."""
    return [
        f"CREATE TRIGGER {APPEND_ONLY}_no_{op.lower()} BEFORE {op} ON {APPEND_ONLY} "
        f"BEGIN SELECT RAISE(ABORT, 'audit table {APPEND_ONLY} is append-only "
        f"({op} refused)'); END"
        for op in ("UPDATE", "DELETE")
    ]


def _sqlite_install() -> list[str]:
    return [
        *sqlite_append_only_triggers(),
        f"CREATE TRIGGER {HEAD}_no_delete BEFORE DELETE ON {HEAD} "
        f"BEGIN SELECT RAISE(ABORT, 'audit table {HEAD} is append-only (DELETE refused)'); END",
        f"CREATE TRIGGER {HEAD}_advance BEFORE UPDATE ON {HEAD} WHEN NOT ({_ADVANCES}) "
        "BEGIN SELECT RAISE(ABORT, 'audit chain head may only advance by one linked record'); "
        "END",
    ]


def _sqlite_uninstall() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {HEAD}_advance",
        f"DROP TRIGGER IF EXISTS {HEAD}_no_delete",
        f"DROP TRIGGER IF EXISTS {APPEND_ONLY}_no_delete",
        f"DROP TRIGGER IF EXISTS {APPEND_ONLY}_no_update",
    ]


def install_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return _pg_install()
    if dialect == "sqlite":
        return _sqlite_install()
    raise ValueError(f"unsupported database dialect: {dialect}")


def uninstall_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return _pg_uninstall()
    if dialect == "sqlite":
        return _sqlite_uninstall()
    raise ValueError(f"unsupported database dialect: {dialect}")
