"""The Alembic history builds exactly the models' schema, and walks down and up again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, create_engine, inspect, text
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


def test_borrowers_from_before_scoring_are_due_for_a_first_scoring(
    empty_database_url: str,
) -> None:
    """Migration 0012 marks every opted-in borrower due at their opt-in time (oldest first)."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0011")
    engine = create_engine(empty_database_url, poolclass=NullPool)
    opted_in = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    borrowers = Table("borrowers", MetaData(), autoload_with=engine)
    row = {
        "national_id_index": "i" * 64,
        "national_id_enc": "x",
        "phone_index": "p" * 64,
        "phone_enc": "x",
        "full_name_enc": "x",
        "date_of_birth_enc": "x",
        "status": "active",
        "terms_version": "2023-11",
        "opted_in_at": opted_in,
        "pin_hash": "x",
        "pin_failed_attempts": 0,
        "credit_limit_minor": 50_000,
        "loans_repaid_on_time": 0,
        "savings_long_minor": 0,
        "savings_short_minor": 0,
        "savings_short_held_minor": 0,
        "credit_balance_minor": 0,
        "created_at": opted_in,
    }
    try:
        with engine.begin() as connection:
            connection.execute(
                borrowers.insert().values(**{k: v for k, v in row.items() if k in borrowers.c})
            )
        command.upgrade(config, "heads")
        with engine.connect() as connection:
            same, trigger = connection.execute(
                text("SELECT rescore_due_at = opted_in_at, rescore_trigger FROM borrowers")
            ).one()
    finally:
        engine.dispose()
    assert (bool(same), trigger) == (True, "scheduled")
