"""Shared fixtures: a fresh migrated database per test, on SQLite and (when marked or
parametrised) PostgreSQL; a frozen clock; a ledger bound to a session; the production
brokers (Redis, RabbitMQ).

PostgreSQL: found at ``MKOPO_TEST_POSTGRES_URL`` or 127.0.0.1:5432 (users postgres, root).
Redis and RabbitMQ: see ``tests/support/brokers.py``. Locally, tests that need a server are
skipped when it does not answer; with ``CI=true`` an unreachable server fails the run instead.

Markers are mostly given here, not by hand, so a new test lands in the right suite (``make
test-quick`` runs ``-m "not slow and not postgres and not redis and not rabbitmq"``): ``postgres``
by fixture; ``slow`` by directory (``SLOW_DIRECTORIES``) and by fixture (``SLOW_FIXTURES``). A
test left out of both that takes ``SLOW_TEST_S`` or more carries ``@pytest.mark.slow`` itself;
the run's summary names any unmarked test that went over, so the next one is not missed.
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

TESTS_ROOT = Path(__file__).parent
SLOW_DIRECTORIES = ("e2e", "contract", "property", "browser")
"""Whole folders that are slow by nature: e2e starts the app, worker and simulators over real
HTTP and processes; contract runs three PyPI clients in subprocesses; property runs hundreds of
Hypothesis examples, most on a database."""
SLOW_FIXTURES = frozenset({"fund", "pg_fund"})
"""Fixtures that make any test slow: a whole fund (migrated database, chart, KES 10m of capital,
simulators, provider) costs 0.3-2 s per test, 128 tests and 78 s on SQLite alone."""
SLOW_TEST_S = 1.0
"""A test taking this long or more (setup + call + teardown, on a 2-core machine) is slow."""


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


SUITE_MARKERS = ("slow", "postgres", "redis", "rabbitmq")
"""A test carrying none of these is in the quick suite."""
_quick_nodeids: set[str] = set()
_seconds_by_test: dict[str, float] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "pg_database" in fixtures:
            item.add_marker(pytest.mark.postgres)
        folder = item.path.relative_to(TESTS_ROOT).parts[0]
        if folder == "browser":
            item.add_marker(pytest.mark.browser)
        if folder in SLOW_DIRECTORIES or fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if not any(item.get_closest_marker(name) for name in SUITE_MARKERS):
            _quick_nodeids.add(item.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _seconds_by_test[report.nodeid] = _seconds_by_test.get(report.nodeid, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the quick-suite tests that took SLOW_TEST_S or more, so they get marked slow.

    A hint only: timings on a shared machine vary, so it never fails the run."""
    over = sorted(
        (
            (seconds, nodeid)
            for nodeid, seconds in _seconds_by_test.items()
            if nodeid in _quick_nodeids and seconds >= SLOW_TEST_S
        ),
        reverse=True,
    )
    if over:
        terminalreporter.section(f"unmarked tests taking {SLOW_TEST_S:g} s or more: mark them slow")
        for seconds, nodeid in over:
            terminalreporter.write_line(f"{seconds:6.2f} s  {nodeid}")


@pytest.fixture
def fund(sessions: Sessions, clock: FrozenClock, tmp_path: Path) -> Fund:
    """A fund with its chart, KES 10m of capital in the float, simulators and a provider."""
    return open_fund(sessions, clock, tmp_path)


@pytest.fixture
def pg_fund(pg_database: Database, clock: FrozenClock, tmp_path: Path) -> Fund:
    """The same fund on PostgreSQL only (for locks and concurrency)."""
    return open_fund(Sessions(pg_database), clock, tmp_path)
