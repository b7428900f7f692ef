"""The Alembic history builds exactly the models' schema, and walks down and up again."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from app.db.migrations_state import alembic_config, head_revision


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest) -> object:
    factory = request.getfixturevalue(f"{request.param}_factory")
    name, url = factory.create(empty=True)
    yield url
    factory.drop(name)


def table_names(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_match_the_models_and_round_trip(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "heads")
    command.check(config)  # raises if the models and the migrations disagree
    built = table_names(empty_database_url)
    assert {"ledger_accounts", "ledger_entries", "ledger_postings", "staff_users"} <= built
    command.downgrade(config, "base")
    assert table_names(empty_database_url) == set()
    command.upgrade(config, "heads")
    assert table_names(empty_database_url) == built
    assert head_revision()
