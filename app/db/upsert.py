"""``INSERT ... ON CONFLICT`` on both databases, written once.

PostgreSQL and SQLite (3.24+) share the clause and SQLAlchemy gives each dialect its own
``Insert`` with the same methods (``on_conflict_do_nothing``, ``on_conflict_do_update``,
``excluded``, ``returning``). ``insert_for`` picks the one of the session's database; it is
typed as PostgreSQL's, whose surface SQLite's repeats.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_for(session: Session, entity: Any) -> Insert:
    """An upsert-capable ``INSERT`` into ``entity`` (a mapped class or a table)."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(entity)
    return cast(Insert, sqlite_insert(entity))
