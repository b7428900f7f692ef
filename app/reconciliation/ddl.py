"""Database-side guards of reconciliation resolutions (the approach of ``ledger/ddl.py``).

Segregation of duties, held by the database as well as by ``resolutions.py``: a resolution
is proposed by an operations role (admin or credit officer) unless the system closes the
exception itself (``auto_matched``); it is approved only by an operations role, and only if
its proposer held one; and what was proposed (action, loan, amount, proposer...) never
changes afterwards, so the checker approves what the maker asked. Rows written before
migration 0014 stay as they were: the guards judge each new write.
Migration 0014 runs ``install_statements`` / ``uninstall_statements``.
"""

from __future__ import annotations

from app.db.triggers import Guards, install, pg_trigger, sqlite_refusal, uninstall
from app.staff.models import OPERATIONS_ROLES

TABLE = "recon_resolutions"
_OPERATIONS = "(" + ", ".join(f"'{r.value}'" for r in sorted(OPERATIONS_ROLES)) + ")"
_FIXED_COLUMNS = (
    "id",
    "exception_id",
    "action",
    "loan_id",
    "amount_minor",
    "note",
    "proposed_by",
    "proposed_role",
    "proposed_at",
    "request_key",
)
_NOT_OPERATIONS_PROPOSER = (
    f"NEW.action <> 'auto_matched' AND NEW.proposed_role NOT IN {_OPERATIONS}"
)
_BAD_APPROVAL = (
    "NEW.status = 'approved' AND OLD.status <> 'approved' AND (NEW.decided_role IS NULL "
    f"OR NEW.decided_role NOT IN {_OPERATIONS} OR NEW.proposed_role NOT IN {_OPERATIONS})"
)
_PROPOSER_REFUSED = "a resolution is proposed by an admin or credit officer"
_APPROVAL_REFUSED = "a resolution is approved by an admin or credit officer, of one proposed by one"
_FIXED_REFUSED = "reconciliation resolution: only its decision may change"

_PG_FUNCTION = f"""
    CREATE FUNCTION recon_resolutions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF {_NOT_OPERATIONS_PROPOSER} THEN
                RAISE EXCEPTION '{_PROPOSER_REFUSED}' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END IF;
        IF {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FIXED_COLUMNS)} THEN
            RAISE EXCEPTION '{_FIXED_REFUSED}' USING ERRCODE = 'restrict_violation';
        END IF;
        IF {_BAD_APPROVAL} THEN
            RAISE EXCEPTION '{_APPROVAL_REFUSED}' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$
    """


GUARDS: Guards = {
    "postgresql": [
        _PG_FUNCTION,
        pg_trigger(f"{TABLE}_duties", "INSERT OR UPDATE", TABLE, "recon_resolutions_guard"),
    ],
    "sqlite": [
        sqlite_refusal(
            f"{TABLE}_proposer", "INSERT", TABLE, _PROPOSER_REFUSED, _NOT_OPERATIONS_PROPOSER
        ),
        sqlite_refusal(
            f"{TABLE}_fixed",
            "UPDATE",
            TABLE,
            _FIXED_REFUSED,
            " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED_COLUMNS),
        ),
        sqlite_refusal(f"{TABLE}_checker", "UPDATE", TABLE, _APPROVAL_REFUSED, _BAD_APPROVAL),
    ],
}


def install_statements(dialect: str) -> list[str]:
    return install(GUARDS, dialect)


def uninstall_statements(dialect: str) -> list[str]:
    return uninstall(GUARDS, dialect)
