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

from app.db.triggers import Guards, install, pg_trigger, sqlite_refusal, uninstall

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
_OWN_CHECKER = "NEW.checker = NEW.maker"
"""A checker equal to the maker is refused by its own guard, with its own message, first."""
_CLOSED = "a request is decided only while it is pending and before it expires"
_FINAL = "approval decisions are never changed or deleted"

_PG_DECIDED_FINAL = """
        IF OLD.status <> 'pending' THEN
            RAISE EXCEPTION 'approval request % is already % (decisions are final)',
                OLD.id, OLD.status USING ERRCODE = 'restrict_violation';
        END IF;"""


def _pg_only_decision_changes(changed: str) -> str:
    return f"""
        IF {changed} THEN
            RAISE EXCEPTION 'approval request %: only its decision may change', OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;"""


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
{_PG_DECIDED_FINAL}
{_pg_only_decision_changes(_CHANGED)}
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


_REQUEST = f"(SELECT {{}} FROM {TABLE} WHERE id = NEW.request_id)"
_NEVER_DELETED = "approval requests are never deleted"
_DECIDED_FINAL = "approval request is already decided (decisions are final)"
_FIXED = "approval request: only its decision may change"

GUARDS: Guards = {
    "postgresql": [
        _PG_REQUEST_FUNCTION,
        pg_trigger(
            f"{TABLE}_guard", "INSERT OR UPDATE OR DELETE", TABLE, "approval_requests_guard"
        ),
        pg_trigger(f"{TABLE}_no_truncate", "TRUNCATE", TABLE, "approval_requests_guard"),
        _PG_DECISION_FUNCTION,
        pg_trigger(
            f"{DECISIONS}_guard",
            "INSERT OR UPDATE OR DELETE",
            DECISIONS,
            "approval_decisions_guard",
        ),
        pg_trigger(f"{DECISIONS}_no_truncate", "TRUNCATE", DECISIONS, "approval_decisions_guard"),
    ],
    "sqlite": [
        sqlite_refusal(f"{TABLE}_four_eyes_insert", "INSERT", TABLE, _OWN, _OWN_CHECKER),
        sqlite_refusal(f"{TABLE}_four_eyes_update", "UPDATE", TABLE, _OWN, _OWN_CHECKER),
        sqlite_refusal(
            f"{TABLE}_inserted_pending",
            "INSERT",
            TABLE,
            _NOT_INSERTED_PENDING,
            f"NEW.status <> 'pending' AND {_NOT_OWN}",
        ),
        sqlite_refusal(f"{TABLE}_no_delete", "DELETE", TABLE, _NEVER_DELETED),
        sqlite_refusal(
            f"{TABLE}_decided_final", "UPDATE", TABLE, _DECIDED_FINAL, "OLD.status <> 'pending'"
        ),
        sqlite_refusal(f"{TABLE}_request_fixed", "UPDATE", TABLE, _FIXED, _CHANGED_SQLITE),
        sqlite_refusal(
            f"{TABLE}_approved_by_enough",
            "UPDATE",
            TABLE,
            _TOO_FEW,
            f"NEW.status = 'approved' AND {_NOT_OWN} AND {_APPROVALS} < NEW.approvals_needed",
        ),
        sqlite_refusal(
            f"{TABLE}_rejected_by_one",
            "UPDATE",
            TABLE,
            _NOT_REJECTED,
            f"NEW.status = 'rejected' AND {_NOT_OWN} AND {_REJECTIONS} = 0",
        ),
        sqlite_refusal(
            f"{TABLE}_expired_in_time",
            "UPDATE",
            TABLE,
            _NOT_EXPIRED,
            "NEW.status = 'expired' AND julianday(NEW.decided_at) < julianday(NEW.expires_at)",
        ),
        sqlite_refusal(
            f"{DECISIONS}_four_eyes",
            "INSERT",
            DECISIONS,
            _OWN,
            f"NEW.decider = {_REQUEST.format('maker')}",
        ),
        sqlite_refusal(
            f"{DECISIONS}_while_pending",
            "INSERT",
            DECISIONS,
            _CLOSED,
            f"{_REQUEST.format('status')} <> 'pending' "
            f"OR julianday(NEW.decided_at) >= julianday({_REQUEST.format('expires_at')})",
        ),
        sqlite_refusal(f"{DECISIONS}_no_update", "UPDATE", DECISIONS, _FINAL),
        sqlite_refusal(f"{DECISIONS}_no_delete", "DELETE", DECISIONS, _FINAL),
    ],
}


def install_statements(dialect: str) -> list[str]:
    return install(GUARDS, dialect)


def uninstall_statements(dialect: str) -> list[str]:
    return uninstall(GUARDS, dialect)


# The version of migration 0010, kept as it was so that migration builds what it built.
_FIXED_0010 = tuple(c for c in _FIXED_COLUMNS if c not in ("approvals_needed", "expires_at"))
_CHANGED_0010 = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FIXED_0010)
_CHANGED_SQLITE_0010 = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED_0010)

_PG_FUNCTION_0010 = f"""
    CREATE FUNCTION approval_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'approval requests are never deleted'
                USING ERRCODE = 'restrict_violation';
        END IF;
{_PG_DECIDED_FINAL}
{_pg_only_decision_changes(_CHANGED_0010)}
        RETURN NEW;
    END $$
    """


GUARDS_0010: Guards = {
    "postgresql": [
        _PG_FUNCTION_0010,
        pg_trigger(f"{TABLE}_guard", "UPDATE OR DELETE", TABLE, "approval_requests_guard"),
        pg_trigger(f"{TABLE}_no_truncate", "TRUNCATE", TABLE, "approval_requests_guard"),
    ],
    "sqlite": [
        sqlite_refusal(f"{TABLE}_no_delete", "DELETE", TABLE, _NEVER_DELETED),
        sqlite_refusal(
            f"{TABLE}_decided_final", "UPDATE", TABLE, _DECIDED_FINAL, "OLD.status <> 'pending'"
        ),
        sqlite_refusal(f"{TABLE}_request_fixed", "UPDATE", TABLE, _FIXED, _CHANGED_SQLITE_0010),
    ],
}


def install_0010(dialect: str) -> list[str]:
    return install(GUARDS_0010, dialect)


def uninstall_0010(dialect: str) -> list[str]:
    return uninstall(GUARDS_0010, dialect)
