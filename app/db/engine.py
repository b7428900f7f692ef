"""Build engines for the configured database.

SQLite (the embedded default): WAL journal, foreign keys on, a busy timeout, and two
engines — one whose transactions start with ``BEGIN IMMEDIATE`` (writers queue for the
write lock up front instead of failing midway with "database is locked"), and one with
plain deferred transactions for reads. PostgreSQL (psycopg 3): one pooled engine for both,
whose wait for a free connection is short (``database_pool_timeout_s``): an exhausted pool is
answered with 503 at once rather than after SQLAlchemy's default 30 s.

Every engine hides statement parameters (``hide_parameters``): an error's message, logged or
stored, names the statement but never the values bound to it (a phone number, a name).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.settings import Settings
from ledger.balance_guard import register_sqlite_function


@dataclass(frozen=True)
class Database:
    write_engine: Engine
    read_engine: Engine

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def _sqlite_engine(url: str, busy_timeout_ms: int, begin: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        poolclass=NullPool,
        connect_args={"check_same_thread": False},
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        # Take transaction control away from pysqlite so SAVEPOINTs and BEGIN IMMEDIATE work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # The ledger's guard on account totals asks this connection whether its write path
        # is moving them (ledger.balance_guard).
        register_sqlite_function(dbapi_connection, record.info)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def make_database(settings: Settings) -> Database:
    url = settings.database_url
    if url.startswith("sqlite"):
        timeout = settings.sqlite_busy_timeout_ms
        return Database(
            _sqlite_engine(url, timeout, "BEGIN IMMEDIATE"), _sqlite_engine(url, timeout, "BEGIN")
        )
    engine = create_engine(
        url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout_s,
        pool_pre_ping=True,
        hide_parameters=True,
    )
    return Database(engine, engine)
