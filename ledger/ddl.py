"""Database-side guards the ORM cannot express: append-only tables, balanced entries, the
seal queue.

Migrations call ``install(dialect)`` / ``uninstall(dialect)``. PostgreSQL gets all three
guards; SQLite gets append-only and the seal queue here (it has no deferred triggers: its
balanced-entry guard is built otherwise, in ``ledger.balanced_entry_guard``).
"""

from __future__ import annotations

APPEND_ONLY_TABLES = (
    "ledger_entries",
    "ledger_postings",
    "ledger_seal_blocks",
    "ledger_seal_members",
)

_PG_FUNCTIONS = [
    """
    CREATE FUNCTION ledger_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'ledger table % is append-only (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END $$
    """,
    """
    CREATE FUNCTION ledger_queue_for_sealing() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO ledger_unsealed (entry_id) VALUES (NEW.id);
        RETURN NULL;
    END $$
    """,
    # Runs at commit (deferred), once per inserted entry and per inserted posting, so a
    # posting slipped into an old entry is caught as surely as an unbalanced new entry.
    """
    CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        target_id bigint;
        target_kind text;
        postings_count int;
        bad_currency text;
    BEGIN
        IF TG_TABLE_NAME = 'ledger_entries' THEN
            target_id := NEW.id;
        ELSE
            target_id := NEW.entry_id;
        END IF;
        SELECT kind INTO target_kind FROM ledger_entries WHERE id = target_id;
        SELECT count(*) INTO postings_count FROM ledger_postings WHERE entry_id = target_id;
        IF target_kind IN ('void_pending', 'expire_pending') THEN
            IF postings_count <> 0 THEN
                RAISE EXCEPTION 'ledger entry % (%) must have no postings', target_id, target_kind
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END IF;
        IF postings_count < 2 THEN
            RAISE EXCEPTION 'ledger entry % has fewer than two postings', target_id
                USING ERRCODE = 'check_violation';
        END IF;
        SELECT currency INTO bad_currency FROM ledger_postings WHERE entry_id = target_id
            GROUP BY currency, phase
            HAVING sum(CASE side WHEN 'D' THEN amount_minor ELSE -amount_minor END) <> 0
            LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'ledger entry % is unbalanced in %', target_id, bad_currency
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
]


def _pg_install() -> list[str]:
    statements = list(_PG_FUNCTIONS)
    for table in APPEND_ONLY_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change()"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change()"
        )
    statements += [
        "CREATE TRIGGER ledger_entries_queue_seal AFTER INSERT ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_queue_for_sealing()",
        "CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced()",
        "CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced()",
    ]
    return statements


def _pg_uninstall() -> list[str]:
    statements = [
        "DROP TRIGGER IF EXISTS ledger_postings_balanced ON ledger_postings",
        "DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_entries",
        "DROP TRIGGER IF EXISTS ledger_entries_queue_seal ON ledger_entries",
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    statements += [
        "DROP FUNCTION IF EXISTS ledger_check_entry_balanced()",
        "DROP FUNCTION IF EXISTS ledger_queue_for_sealing()",
        "DROP FUNCTION IF EXISTS ledger_forbid_change()",
    ]
    return statements


def _sqlite_install() -> list[str]:
    statements = []
    for table in APPEND_ONLY_TABLES:
        for op in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'ledger table {table} is append-only "
                f"({op} refused)'); END"
            )
    statements.append(
        "CREATE TRIGGER ledger_entries_queue_seal AFTER INSERT ON ledger_entries "
        "BEGIN INSERT INTO ledger_unsealed (entry_id) VALUES (NEW.id); END"
    )
    return statements


def _sqlite_uninstall() -> list[str]:
    statements = ["DROP TRIGGER IF EXISTS ledger_entries_queue_seal"]
    for table in APPEND_ONLY_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
        ]
    return statements


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
