"""A database error never carries the values bound to its statement: every engine the app
builds (write and read, SQLite and PostgreSQL) hides them, so an unhandled error logged by
the API or the worker names the statement, never a phone number or a name."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, StatementError

from app.db.engine import Database

PHONE, NAME = "254712345678", "ATIENO AWUOR"


def test_every_engine_hides_statement_parameters(database: Database) -> None:
    engines = {database.write_engine, database.read_engine}
    for engine in engines:
        assert engine.hide_parameters
        with engine.connect() as connection, pytest.raises((DBAPIError, StatementError)) as err:
            connection.execute(
                text("INSERT INTO no_such_table (phone, name) VALUES (:phone, :name)"),
                {"phone": PHONE, "name": NAME},
            )
        said = str(err.value)
        assert "no_such_table" in said
        assert PHONE not in said
        assert NAME not in said
