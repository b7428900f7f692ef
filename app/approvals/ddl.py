"""Database-side guards of maker-checker requests (the approach of ``ledger/ddl.py``).

A request is never deleted; what was asked (kind, subject, payload, reason, maker) never
changes after it is made; and once decided (any status but pending) it never changes again.
So what a checker approved is what the maker asked, and a decision cannot be rewritten.
Migration 0010 runs ``install_statements`` / ``uninstall_statements``.
"""

from __future__ import annotations

TABLE = "approval_requests"
_FIXED_COLUMNS = (
    "id",
    "kind",
    "subject_type",
    "subject_id",
    "payload",
    "reason",
    "maker",
    "maker_role",
    "request_key",
    "created_at",
)
_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FIXED_COLUMNS)
_CHANGED_SQLITE = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED_COLUMNS)

_PG_FUNCTION = f"""
    CREATE FUNCTION approval_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'approval requests are never deleted'
                USING ERRCODE = 'restrict_violation';
        END IF;
        IF OLD.status <> 'pending' THEN
            RAISE EXCEPTION 'approval request % is already % (decisions are final)',
                OLD.id, OLD.status USING ERRCODE = 'restrict_violation';
        END IF;
        IF {_CHANGED} THEN
            RAISE EXCEPTION 'approval request %: only its decision may change', OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$
    """


def install_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            _PG_FUNCTION,
            f"CREATE TRIGGER {TABLE}_guard BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION approval_requests_guard()",
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION approval_requests_guard()",
        ]
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
            "BEGIN SELECT RAISE(ABORT, 'approval requests are never deleted'); END",
            f"CREATE TRIGGER {TABLE}_decided_final BEFORE UPDATE ON {TABLE} "
            "WHEN OLD.status <> 'pending' "
            "BEGIN SELECT RAISE(ABORT, 'approval request is already decided "
            "(decisions are final)'); END",
            f"CREATE TRIGGER {TABLE}_request_fixed BEFORE UPDATE ON {TABLE} "
            f"WHEN {_CHANGED_SQLITE} "
            "BEGIN SELECT RAISE(ABORT, 'approval request: only its decision may change'); END",
        ]
    raise ValueError(f"unsupported database dialect: {dialect}")


def uninstall_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
            f"DROP TRIGGER IF EXISTS {TABLE}_guard ON {TABLE}",
            "DROP FUNCTION IF EXISTS approval_requests_guard()",
        ]
    if dialect == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {TABLE}_request_fixed",
            f"DROP TRIGGER IF EXISTS {TABLE}_decided_final",
            f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
        ]
    raise ValueError(f"unsupported database dialect: {dialect}")
