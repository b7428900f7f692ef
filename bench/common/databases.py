"""Scratch databases on the benchmark's PostgreSQL server, and the app's sessions on them.

Every benchmark runs on a fresh database created on the server at
``MKOPO_BENCH_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``; that
database itself is used only to create and drop the scratch ones), migrated by Alembic, and
dropped at the end even when the run fails (``--keep-db`` keeps it to look at).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from psycopg.conninfo import conninfo_to_dict

from app.db.engine import make_database
from app.db.session import Sessions
from app.settings import Settings
from bench.common.report import ROOT

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
"""libpq URL of a database on a server where the benchmark may create and drop databases."""


def admin_url() -> str:
    return os.environ.get("MKOPO_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)


def admin_execute(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def create_database(url: str, name: str) -> None:
    admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_execute(url, f'CREATE DATABASE "{name}"')


def drop_database(url: str, name: str) -> None:
    admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def libpq_args(url: str) -> list[str]:
    """``-h/-p/-U`` arguments for PostgreSQL client programs (pgbench) from a libpq URL."""
    info = conninfo_to_dict(url)
    args = []
    for key, flag in (("host", "-h"), ("port", "-p"), ("user", "-U")):
        if info.get(key):
            args += [flag, str(info[key])]
    return args


def migrate(sqlalchemy_database_url: str) -> None:
    """The project's Alembic migrations, to every head (branches may wait to be merged)."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", sqlalchemy_database_url)
    command.upgrade(config, "heads")


@dataclass(frozen=True)
class Scratch:
    """A scratch database: its name, and URLs to it for libpq and for SQLAlchemy."""

    admin: str
    name: str

    @property
    def libpq_url(self) -> str:
        return f"{self.admin.rsplit('/', 1)[0]}/{self.name}"

    @property
    def url(self) -> str:
        return self.libpq_url.replace("postgresql://", "postgresql+psycopg://", 1)

    def backend_pids(self) -> set[int]:
        """The client backends connected to this database now."""
        with psycopg.connect(self.admin, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = %s AND backend_type = 'client backend'",
                (self.name,),
            ).fetchall()
        return {int(row[0]) for row in rows}

    def checkpoint(self) -> None:
        """So the measured part does not pay for the setup's dirty pages."""
        admin_execute(self.admin, "CHECKPOINT")


@contextmanager
def scratch_database(
    prefix: str, log: Callable[[str], None], *, keep: bool = False, migrated: bool = True
) -> Iterator[Scratch]:
    """A fresh database named ``prefix_<random>`` (migrated unless told not to), dropped on
    the way out unless ``keep``."""
    scratch = Scratch(admin_url(), f"{prefix}_{uuid.uuid4().hex[:8]}")
    log(f"database {scratch.name}")
    create_database(scratch.admin, scratch.name)
    try:
        if migrated:
            migrate(scratch.url)
        yield scratch
    finally:
        if keep:
            log(f"kept database {scratch.name}")
        else:
            drop_database(scratch.admin, scratch.name)


@contextmanager
def app_sessions(url: str, **settings: Any) -> Iterator[Sessions]:
    """The app's ``Sessions`` on ``url`` (more ``Settings`` by keyword); disposed after."""
    database = make_database(Settings(database_url=url, **settings))
    try:
        yield Sessions(database)
    finally:
        database.dispose()
