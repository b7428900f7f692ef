"""Shared fixtures: a fresh migrated database per test, on SQLite and (when marked or
parametrised) PostgreSQL; a frozen clock; a ledger bound to a session; the production
brokers (Redis, RabbitMQ).

PostgreSQL: found at ``MKOPO_TEST_POSTGRES_URL`` or 127.0.0.1:5432 (users postgres, root).
Redis and RabbitMQ: see ``tests/support/brokers.py``. Locally, tests that need a server are
skipped when it does not answer; with ``CI=true`` an unreachable server fails the run instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from app.bootstrap import wire_domains
from app.db.engine import Database, make_database
from app.db.session import Sessions
from app.settings import Settings
from tests.support.brokers import find_broker
from tests.support.clock import FrozenClock
from tests.support.databases import PostgresFactory, SqliteFactory, find_postgres
from tests.support.lending import Fund, open_fund

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session", autouse=True)
def domains_wired() -> None:
    """As every process's bootstrap does: payout purposes and event subscribers registered."""
    wire_domains()


@pytest.fixture(scope="session")
def sqlite_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteFactory]:
    factory = SqliteFactory(Path(tmp_path_factory.mktemp("sqlite")))
    yield factory
    factory.close()


def _unreachable(what: str, variable: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"CI=true but {what} is unreachable: its suite must run", pytrace=False)
    pytest.skip(f"{what} is unreachable (set {variable})")


@pytest.fixture(scope="session")
def postgres_factory() -> Iterator[PostgresFactory]:
    url = find_postgres()
    if url is None:
        _unreachable("PostgreSQL", "MKOPO_TEST_POSTGRES_URL")
    factory = PostgresFactory(url)
    yield factory
    factory.close()


def _broker_url(kind: str) -> str:
    url = find_broker(kind)
    if url is None:
        _unreachable(kind, f"MKOPO_TEST_{kind.upper()}_URL")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _broker_url("redis")


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    return _broker_url("rabbitmq")


def _database_for(request: pytest.FixtureRequest, backend: str) -> Iterator[Database]:
    factory = request.getfixturevalue(f"{backend}_factory")
    name, url = factory.create()
    database = make_database(Settings(database_url=url, database_pool_size=20))
    try:
        yield database
    finally:
        database.dispose()
        factory.drop(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A fresh migrated database, once on SQLite and once on PostgreSQL."""
    yield from _database_for(request, request.param)


@pytest.fixture
def pg_database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A fresh migrated PostgreSQL database (for locks, triggers, concurrency)."""
    yield from _database_for(request, "postgres")


@pytest.fixture
def sqlite_database(request: pytest.FixtureRequest) -> Iterator[Database]:
    yield from _database_for(request, "sqlite")


@pytest.fixture
def sessions(database: Database) -> Sessions:
    return Sessions(database)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pg_database" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def fund(sessions: Sessions, clock: FrozenClock, tmp_path: Path) -> Fund:
    """A fund with its chart, KES 10m of capital in the float, simulators and a provider."""
    return open_fund(sessions, clock, tmp_path)


@pytest.fixture
def pg_fund(pg_database: Database, clock: FrozenClock, tmp_path: Path) -> Fund:
    """The same fund on PostgreSQL only (for locks and concurrency)."""
    return open_fund(Sessions(pg_database), clock, tmp_path)
