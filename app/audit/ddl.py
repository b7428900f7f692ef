"""Database-side guards of the audit log (the approach of ``ledger/ddl.py``, own tables).

- ``audit_log`` is append-only: UPDATE, DELETE (and TRUNCATE on PostgreSQL) are refused.
- ``audit_chain_head`` is never deleted, and an UPDATE must advance it by exactly one onto
  a record that exists and links to the previous head: the chain can only grow at its end,
  one linked record at a time, whatever the Python code does.

Migration 0010 runs ``install_statements(dialect)`` / ``uninstall_statements(dialect)``.
"""

from __future__ import annotations

from app.db.triggers import Guards, install, pg_trigger, sqlite_refusal, uninstall

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


_FORBID = "audit_forbid_change"
_NOT_ADVANCED = "audit chain head may only advance by one linked record"


def sqlite_append_only_triggers() -> list[str]:
    """The two triggers that keep ``audit_log`` append-only on SQLite (tests drop and
    recreate them to play a tamperer who has the database file)."""
    return [
        sqlite_refusal(
            f"{APPEND_ONLY}_no_{op.lower()}",
            op,
            APPEND_ONLY,
            f"audit table {APPEND_ONLY} is append-only ({op} refused)",
        )
        for op in ("UPDATE", "DELETE")
    ]


GUARDS: Guards = {
    "postgresql": [
        *_PG_FUNCTIONS,
        pg_trigger(f"{APPEND_ONLY}_append_only", "UPDATE OR DELETE", APPEND_ONLY, _FORBID),
        pg_trigger(f"{APPEND_ONLY}_no_truncate", "TRUNCATE", APPEND_ONLY, _FORBID),
        pg_trigger(f"{HEAD}_no_delete", "DELETE", HEAD, _FORBID),
        pg_trigger(f"{HEAD}_no_truncate", "TRUNCATE", HEAD, _FORBID),
        pg_trigger(f"{HEAD}_advance", "UPDATE", HEAD, "audit_head_advance"),
    ],
    "sqlite": [
        *sqlite_append_only_triggers(),
        sqlite_refusal(
            f"{HEAD}_no_delete",
            "DELETE",
            HEAD,
            f"audit table {HEAD} is append-only (DELETE refused)",
        ),
        sqlite_refusal(f"{HEAD}_advance", "UPDATE", HEAD, _NOT_ADVANCED, f"NOT ({_ADVANCES})"),
    ],
}


def install_statements(dialect: str) -> list[str]:
    return install(GUARDS, dialect)


def uninstall_statements(dialect: str) -> list[str]:
    return uninstall(GUARDS, dialect)
