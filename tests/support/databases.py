"""Throw-away databases for tests, built by running the Alembic migrations.

Each backend gets one migrated template per test session; every test that asks for a
database gets its own copy (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on
PostgreSQL), so tests commit for real — deferred triggers fire, threads see each other —
and never see another test's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import psycopg
from alembic import command

from app.db.migrations_state import alembic_config

PG_CANDIDATES = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)


def migrate(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def find_postgres() -> str | None:
    """A libpq URL of a reachable server where we may create databases, or None."""
    explicit = os.environ.get("MKOPO_TEST_POSTGRES_URL")
    for url in [explicit] if explicit else PG_CANDIDATES:
        try:
            with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
                conn.execute("SELECT 1")
            return url
        except psycopg.Error:
            continue
    return None


def sqlalchemy_url(libpq_url: str, database: str) -> str:
    base = libpq_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{database}"


class PostgresFactory:
    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.template = f"mkopo_tpl_{uuid.uuid4().hex[:10]}"
        self._admin(f'CREATE DATABASE "{self.template}"')
        migrate(sqlalchemy_url(admin_url, self.template))

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self, empty: bool = False) -> tuple[str, str]:
        name = f"mkopo_t_{uuid.uuid4().hex[:12]}"
        template = "template0" if empty else self.template
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name, sqlalchemy_url(self.admin_url, name)

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self.drop(self.template)


class SqliteFactory:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.template = directory / "template.sqlite3"
        migrate(f"sqlite:///{self.template}")

    def create(self, empty: bool = False) -> tuple[str, str]:
        path = self.directory / f"t_{uuid.uuid4().hex[:12]}.sqlite3"
        if not empty:
            shutil.copyfile(self.template, path)
        return str(path), f"sqlite:///{path}"

    def drop(self, name: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        self.drop(str(self.template))
