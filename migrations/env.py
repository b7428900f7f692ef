"""Alembic environment: the URL comes from ``sqlalchemy.url`` if a caller set it (tests,
``mkopo migrate``), else from ``MKOPO_DATABASE_URL`` via settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from app.models import metadata
from app.settings import Settings
from ledger.balanced_entry_guard import SQLITE_ONLY_TABLES

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().database_url


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave out of ``alembic check`` the tables a migration builds on one dialect only."""
    return not (type_ == "table" and name in SQLITE_ONLY_TABLES)


def run_migrations_offline() -> None:
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,  # type: ignore[arg-type]
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
