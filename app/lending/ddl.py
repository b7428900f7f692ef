"""The database's own refusal of the Auditor-General's findings (the approach of
``ledger/ddl.py``): whatever writes the rows, the database refuses

- a borrower who was a minor, or not yet born, on the day they opted in, or whose birth date
  is impossible (over ``MAX_AGE_YEARS``): ``borrowers.adult_on`` is the day they turn
  ``MIN_AGE_YEARS``, written at opt-in from the register's date of birth (which stays
  encrypted; the day of majority is the one fact of it the database must see to hold the
  rule);
- a loan to a borrower who is not opted in, was not opted in when the loan was made, or was
  not an adult that day (Nairobi's date), and a loan whose limit is above the borrower's.

A second open loan is refused by ``loans``' partial unique index, principal over the loan's
limit by its CHECK (``app.lending.models``). Rows written before migration 0024 stay as they
were: the guards judge each new write (a borrower without ``adult_on`` gets no new loan until
``mkopo borrowers backfill-adult-on`` has read it from the register's date of birth).
Migrations 0024 and 0028 run the first version (``install_0024`` / ``uninstall_0024``);
migration 0030 runs ``install_statements`` / ``uninstall_statements``: a business's loan
(``business_id`` set, ``app.sme``) is held to the business's limit, not its owner's.
"""

from __future__ import annotations

from app.borrowers.ages import MAX_AGE_YEARS, MIN_AGE_YEARS
from app.db.triggers import Guards, install, pg_trigger, sqlite_refusal, uninstall

BORROWERS = "borrowers"
LOANS = "loans"
_ADULT_SPAN_YEARS = MAX_AGE_YEARS - MIN_AGE_YEARS

MINOR_REFUSED = "a borrower is an adult with a possible birth date on the day they opt in"
NOT_OPTED_IN_REFUSED = "a loan is made only to a borrower opted in before it"
NOT_ADULT_REFUSED = "a loan is made only to a borrower who is an adult that day"
OVER_LIMIT_REFUSED = "a loan limit is at most the borrower limit"

# Nairobi is UTC+3 all year (no daylight saving): the local date of a stored UTC time.
_PG_LOCAL_DAY = "(({t}) AT TIME ZONE 'Africa/Nairobi')::date"
_SQLITE_LOCAL_DAY = "date({t}, '+3 hours')"


def _pg_day(column: str) -> str:
    return _PG_LOCAL_DAY.format(t=column)


def _sqlite_day(column: str) -> str:
    return _SQLITE_LOCAL_DAY.format(t=column)


_PG_BORROWERS = f"""
    CREATE FUNCTION borrowers_adult_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (TG_OP = 'INSERT' AND NEW.adult_on IS NULL)
           OR NEW.adult_on > {_pg_day("NEW.created_at")}
           OR extract(year FROM NEW.adult_on)
              < extract(year FROM {_pg_day("NEW.created_at")}) - {_ADULT_SPAN_YEARS} THEN
            RAISE EXCEPTION '{MINOR_REFUSED}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """


def _pg_loans(limit: str) -> str:
    return f"""
    CREATE FUNCTION loans_borrower_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        b record;
    BEGIN
        SELECT status, opted_in_at, adult_on, credit_limit_minor INTO b
        FROM borrowers WHERE id = NEW.borrower_id;
        IF NEW.credit_limit_minor > {limit} THEN
            RAISE EXCEPTION '{OVER_LIMIT_REFUSED}' USING ERRCODE = 'check_violation';
        END IF;
        IF TG_OP = 'UPDATE' THEN
            RETURN NEW;
        END IF;
        IF b.status <> 'active' OR b.opted_in_at > NEW.created_at THEN
            RAISE EXCEPTION '{NOT_OPTED_IN_REFUSED}' USING ERRCODE = 'check_violation';
        END IF;
        IF b.adult_on IS NULL OR b.adult_on > {_pg_day("NEW.created_at")} THEN
            RAISE EXCEPTION '{NOT_ADULT_REFUSED}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """


_SQLITE_MINOR = (
    f"NEW.adult_on > {_sqlite_day('NEW.created_at')} OR "
    f"CAST(strftime('%Y', NEW.adult_on) AS INTEGER) < "
    f"CAST(strftime('%Y', {_sqlite_day('NEW.created_at')}) AS INTEGER) - {_ADULT_SPAN_YEARS}"
)
_SQLITE_BORROWER = "(SELECT {column} FROM borrowers WHERE id = NEW.borrower_id)"


def _of_borrower(column: str) -> str:
    return _SQLITE_BORROWER.format(column=column)


_BORROWER_LIMIT_PG = "b.credit_limit_minor"
_BUSINESS_LIMIT_PG = (  # in brackets: PL/pgSQL's IF would take the CASE's THEN for its own
    "(CASE WHEN NEW.business_id IS NULL THEN b.credit_limit_minor "
    "ELSE (SELECT limit_minor FROM businesses WHERE id = NEW.business_id) END)"
)
_BORROWER_LIMIT_SQLITE = _of_borrower("credit_limit_minor")
_BUSINESS_LIMIT_SQLITE = (
    f"(CASE WHEN NEW.business_id IS NULL THEN {_BORROWER_LIMIT_SQLITE} "
    "ELSE (SELECT limit_minor FROM businesses WHERE id = NEW.business_id) END)"
)


def _guards(pg_limit: str, sqlite_limit: str) -> Guards:
    over_limit = f"NEW.credit_limit_minor > {sqlite_limit}"
    return {
        "postgresql": [
            _PG_BORROWERS,
            pg_trigger(
                f"{BORROWERS}_adult",
                "INSERT OR UPDATE OF adult_on",
                BORROWERS,
                "borrowers_adult_guard",
            ),
            _pg_loans(pg_limit),
            pg_trigger(
                f"{LOANS}_borrower_eligible",
                "INSERT OR UPDATE OF credit_limit_minor",
                LOANS,
                "loans_borrower_guard",
            ),
        ],
        "sqlite": [
            sqlite_refusal(
                f"{BORROWERS}_adult_new",
                "INSERT",
                BORROWERS,
                MINOR_REFUSED,
                f"NEW.adult_on IS NULL OR {_SQLITE_MINOR}",
            ),
            sqlite_refusal(
                f"{BORROWERS}_adult", "UPDATE OF adult_on", BORROWERS, MINOR_REFUSED, _SQLITE_MINOR
            ),
            sqlite_refusal(
                f"{LOANS}_opted_in",
                "INSERT",
                LOANS,
                NOT_OPTED_IN_REFUSED,
                f"{_of_borrower('status')} IS NOT 'active' "
                f"OR {_of_borrower('opted_in_at')} > NEW.created_at",
            ),
            sqlite_refusal(
                f"{LOANS}_adult",
                "INSERT",
                LOANS,
                NOT_ADULT_REFUSED,
                f"{_of_borrower('adult_on')} IS NULL "
                f"OR {_of_borrower('adult_on')} > {_sqlite_day('NEW.created_at')}",
            ),
            sqlite_refusal(
                f"{LOANS}_within_limit", "INSERT", LOANS, OVER_LIMIT_REFUSED, over_limit
            ),
            sqlite_refusal(
                f"{LOANS}_limit_kept",
                "UPDATE OF credit_limit_minor",
                LOANS,
                OVER_LIMIT_REFUSED,
                over_limit,
            ),
        ],
    }


GUARDS_0024 = _guards(_BORROWER_LIMIT_PG, _BORROWER_LIMIT_SQLITE)
"""The first version (migrations 0024 and 0028): a loan's limit is at most its borrower's."""
GUARDS = _guards(_BUSINESS_LIMIT_PG, _BUSINESS_LIMIT_SQLITE)
"""Since migration 0030: a business's loan (``business_id`` set) is held to the business's
limit instead of its owner's."""


def install_0024(dialect: str) -> list[str]:
    return install(GUARDS_0024, dialect)


def uninstall_0024(dialect: str) -> list[str]:
    return uninstall(GUARDS_0024, dialect)


def install_statements(dialect: str) -> list[str]:
    return install(GUARDS, dialect)


def uninstall_statements(dialect: str) -> list[str]:
    return uninstall(GUARDS, dialect)
