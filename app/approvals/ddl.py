"""Database-side guards of four-eyes requests and decisions (the approach of ``ledger/ddl.py``).

Requests (``approval_requests``):
- a request is inserted pending, never deleted, and what was asked (kind, subject, payload,
  reason, maker, how many approvals, expiry) never changes;
- once decided (any status but pending) it never changes again;
- it becomes ``approved`` only with at least ``approvals_needed`` approving decisions,
  ``rejected`` only with a rejecting decision, ``expired`` only at or after ``expires_at``.

Decisions (``approval_decisions``):
- the decider is never the request's maker (four eyes, whatever the Python did);
- a decision is made only on a pending request and before it expires;
- a decision is never changed or deleted (one per decider: a unique key).

SQLite compares times with ``julianday`` (its stored text and a bound parameter need not be
spelled alike). So what a checker approved is what the maker asked, nobody approves their
own request, and a decision cannot be rewritten. Migrations 0010 and 0012 installed the first
version (``install_0010``); migration 0017 runs ``install_statements`` /
``uninstall_statements``.
"""

from __future__ import annotations

TABLE = "approval_requests"
DECISIONS = "approval_decisions"
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
    "approvals_needed",
    "expires_at",
    "created_at",
)
_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FIXED_COLUMNS)
_CHANGED_SQLITE = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED_COLUMNS)
_APPROVALS = (
    f"(SELECT count(*) FROM {DECISIONS} d WHERE d.request_id = NEW.id AND d.verdict = 'approve')"
)
_REJECTIONS = (
    f"(SELECT count(*) FROM {DECISIONS} d WHERE d.request_id = NEW.id AND d.verdict = 'reject')"
)
_NOT_INSERTED_PENDING = "a request is made pending: its decisions come afterwards"
_TOO_FEW = "a request is approved only with enough approving decisions"
_NOT_REJECTED = "a request is rejected only with a rejecting decision"
_NOT_EXPIRED = "a request expires only at or after its expiry"
_OWN = "four_eyes: the maker of a request cannot decide it"
_NOT_OWN = "NEW.checker IS NOT NEW.maker"
"""A checker equal to the maker is refused by its own guard, with its own message, first."""
_CLOSED = "a request is decided only while it is pending and before it expires"
_FINAL = "approval decisions are never changed or deleted"

_PG_REQUEST_FUNCTION = f"""
    CREATE FUNCTION approval_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.checker = NEW.maker THEN
            RAISE EXCEPTION '{_OWN}' USING ERRCODE = 'check_violation';
        END IF;
        IF TG_OP = 'INSERT' THEN
            IF NEW.status <> 'pending' THEN
                RAISE EXCEPTION '{_NOT_INSERTED_PENDING}' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
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
        IF NEW.status = 'approved' AND {_APPROVALS} < NEW.approvals_needed THEN
            RAISE EXCEPTION '{_TOO_FEW}' USING ERRCODE = 'restrict_violation';
        END IF;
        IF NEW.status = 'rejected' AND {_REJECTIONS} = 0 THEN
            RAISE EXCEPTION '{_NOT_REJECTED}' USING ERRCODE = 'restrict_violation';
        END IF;
        IF NEW.status = 'expired' AND NEW.decided_at < NEW.expires_at THEN
            RAISE EXCEPTION '{_NOT_EXPIRED}' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$
    """

_PG_DECISION_FUNCTION = f"""
    CREATE FUNCTION approval_decisions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        request {TABLE}%ROWTYPE;
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            RAISE EXCEPTION '{_FINAL}' USING ERRCODE = 'restrict_violation';
        END IF;
        SELECT * INTO request FROM {TABLE} WHERE id = NEW.request_id;
        IF request.maker = NEW.decider THEN
            RAISE EXCEPTION '{_OWN}' USING ERRCODE = 'check_violation';
        END IF;
        IF request.status <> 'pending' OR NEW.decided_at >= request.expires_at THEN
            RAISE EXCEPTION '{_CLOSED}' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$
    """


def install_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            _PG_REQUEST_FUNCTION,
            f"CREATE TRIGGER {TABLE}_guard BEFORE INSERT OR UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION approval_requests_guard()",
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION approval_requests_guard()",
            _PG_DECISION_FUNCTION,
            f"CREATE TRIGGER {DECISIONS}_guard BEFORE INSERT OR UPDATE OR DELETE ON {DECISIONS} "
            "FOR EACH ROW EXECUTE FUNCTION approval_decisions_guard()",
            f"CREATE TRIGGER {DECISIONS}_no_truncate BEFORE TRUNCATE ON {DECISIONS} "
            "FOR EACH STATEMENT EXECUTE FUNCTION approval_decisions_guard()",
        ]
    if dialect == "sqlite":
        request = f"(SELECT {{}} FROM {TABLE} WHERE id = NEW.request_id)"
        return [
            f"CREATE TRIGGER {TABLE}_four_eyes_insert BEFORE INSERT ON {TABLE} "
            f"WHEN NEW.checker = NEW.maker BEGIN SELECT RAISE(ABORT, '{_OWN}'); END",
            f"CREATE TRIGGER {TABLE}_four_eyes_update BEFORE UPDATE ON {TABLE} "
            f"WHEN NEW.checker = NEW.maker BEGIN SELECT RAISE(ABORT, '{_OWN}'); END",
            f"CREATE TRIGGER {TABLE}_inserted_pending BEFORE INSERT ON {TABLE} "
            f"WHEN NEW.status <> 'pending' AND {_NOT_OWN} "
            f"BEGIN SELECT RAISE(ABORT, '{_NOT_INSERTED_PENDING}'); END",
            f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
            "BEGIN SELECT RAISE(ABORT, 'approval requests are never deleted'); END",
            f"CREATE TRIGGER {TABLE}_decided_final BEFORE UPDATE ON {TABLE} "
            "WHEN OLD.status <> 'pending' "
            "BEGIN SELECT RAISE(ABORT, 'approval request is already decided "
            "(decisions are final)'); END",
            f"CREATE TRIGGER {TABLE}_request_fixed BEFORE UPDATE ON {TABLE} "
            f"WHEN {_CHANGED_SQLITE} "
            "BEGIN SELECT RAISE(ABORT, 'approval request: only its decision may change'); END",
            f"CREATE TRIGGER {TABLE}_approved_by_enough BEFORE UPDATE ON {TABLE} "
            f"WHEN NEW.status = 'approved' AND {_NOT_OWN} "
            f"AND {_APPROVALS} < NEW.approvals_needed "
            f"BEGIN SELECT RAISE(ABORT, '{_TOO_FEW}'); END",
            f"CREATE TRIGGER {TABLE}_rejected_by_one BEFORE UPDATE ON {TABLE} "
            f"WHEN NEW.status = 'rejected' AND {_NOT_OWN} AND {_REJECTIONS} = 0 "
            f"BEGIN SELECT RAISE(ABORT, '{_NOT_REJECTED}'); END",
            f"CREATE TRIGGER {TABLE}_expired_in_time BEFORE UPDATE ON {TABLE} "
            "WHEN NEW.status = 'expired' "
            "AND julianday(NEW.decided_at) < julianday(NEW.expires_at) "
            f"BEGIN SELECT RAISE(ABORT, '{_NOT_EXPIRED}'); END",
            f"CREATE TRIGGER {DECISIONS}_four_eyes BEFORE INSERT ON {DECISIONS} "
            f"WHEN NEW.decider = {request.format('maker')} "
            f"BEGIN SELECT RAISE(ABORT, '{_OWN}'); END",
            f"CREATE TRIGGER {DECISIONS}_while_pending BEFORE INSERT ON {DECISIONS} "
            f"WHEN {request.format('status')} <> 'pending' "
            f"OR julianday(NEW.decided_at) >= julianday({request.format('expires_at')}) "
            f"BEGIN SELECT RAISE(ABORT, '{_CLOSED}'); END",
            f"CREATE TRIGGER {DECISIONS}_no_update BEFORE UPDATE ON {DECISIONS} "
            f"BEGIN SELECT RAISE(ABORT, '{_FINAL}'); END",
            f"CREATE TRIGGER {DECISIONS}_no_delete BEFORE DELETE ON {DECISIONS} "
            f"BEGIN SELECT RAISE(ABORT, '{_FINAL}'); END",
        ]
    raise ValueError(f"unsupported database dialect: {dialect}")


def uninstall_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {DECISIONS}_no_truncate ON {DECISIONS}",
            f"DROP TRIGGER IF EXISTS {DECISIONS}_guard ON {DECISIONS}",
            "DROP FUNCTION IF EXISTS approval_decisions_guard()",
            f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
            f"DROP TRIGGER IF EXISTS {TABLE}_guard ON {TABLE}",
            "DROP FUNCTION IF EXISTS approval_requests_guard()",
        ]
    if dialect == "sqlite":
        names = [
            f"{DECISIONS}_no_delete",
            f"{DECISIONS}_no_update",
            f"{DECISIONS}_while_pending",
            f"{DECISIONS}_four_eyes",
            f"{TABLE}_expired_in_time",
            f"{TABLE}_rejected_by_one",
            f"{TABLE}_approved_by_enough",
            f"{TABLE}_inserted_pending",
            f"{TABLE}_four_eyes_update",
            f"{TABLE}_four_eyes_insert",
            f"{TABLE}_request_fixed",
            f"{TABLE}_decided_final",
            f"{TABLE}_no_delete",
        ]
        return [f"DROP TRIGGER IF EXISTS {name}" for name in names]
    raise ValueError(f"unsupported database dialect: {dialect}")


# The version of migration 0010, kept as it was so that migration builds what it built.
_FIXED_0010 = (
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
_CHANGED_0010 = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FIXED_0010)
_CHANGED_SQLITE_0010 = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED_0010)

_PG_FUNCTION_0010 = f"""
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
        IF {_CHANGED_0010} THEN
            RAISE EXCEPTION 'approval request %: only its decision may change', OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$
    """


def install_0010(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            _PG_FUNCTION_0010,
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
            f"WHEN {_CHANGED_SQLITE_0010} "
            "BEGIN SELECT RAISE(ABORT, 'approval request: only its decision may change'); END",
        ]
    raise ValueError(f"unsupported database dialect: {dialect}")


def uninstall_0010(dialect: str) -> list[str]:
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
