"""Database-side guard of instalment rows (the approach of ``ledger/ddl.py``).

An open instalment never sits on a written-off loan: a write-off ends its loan's open
instalments as ``written_off`` first (``app.lending.writeoffs``), and the database refuses
both a loan written off while an instalment is open and an open instalment written (inserted
or reopened) on a written-off loan. Migration 0028 runs ``install_statements`` /
``uninstall_statements``.
"""

from __future__ import annotations

from app.db.triggers import Guards, install, pg_trigger, sqlite_refusal, uninstall

_REFUSED = "an instalment is open on a written-off loan"
_LOAN_HAS_OPEN = (
    "NEW.status = 'written_off' AND EXISTS (SELECT 1 FROM loan_instalments "
    "WHERE loan_id = NEW.id AND status = 'open')"
)
_OPEN_ON_WRITTEN_OFF = (
    "NEW.status = 'open' AND EXISTS (SELECT 1 FROM loans "
    "WHERE id = NEW.loan_id AND status = 'written_off')"
)


def _pg_function(name: str, condition: str) -> str:
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF {condition} THEN
            RAISE EXCEPTION '{_REFUSED}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """


GUARDS: Guards = {
    "postgresql": [
        _pg_function("loans_no_open_instalment", _LOAN_HAS_OPEN),
        pg_trigger(
            "loans_written_off_instalments", "UPDATE OF status", "loans", "loans_no_open_instalment"
        ),
        _pg_function("loan_instalments_loan_open", _OPEN_ON_WRITTEN_OFF),
        pg_trigger(
            "loan_instalments_open_loan",
            "INSERT OR UPDATE",
            "loan_instalments",
            "loan_instalments_loan_open",
        ),
    ],
    "sqlite": [
        sqlite_refusal(
            "loans_written_off_instalments", "UPDATE OF status", "loans", _REFUSED, _LOAN_HAS_OPEN
        ),
        sqlite_refusal(
            "loan_instalments_open_insert",
            "INSERT",
            "loan_instalments",
            _REFUSED,
            _OPEN_ON_WRITTEN_OFF,
        ),
        sqlite_refusal(
            "loan_instalments_open_update",
            "UPDATE",
            "loan_instalments",
            _REFUSED,
            _OPEN_ON_WRITTEN_OFF,
        ),
    ],
}


def install_statements(dialect: str) -> list[str]:
    return install(GUARDS, dialect)


def uninstall_statements(dialect: str) -> list[str]:
    return uninstall(GUARDS, dialect)
