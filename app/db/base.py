"""The app's declarative base. It shares the ledger's metadata, so one Alembic history
builds every table and app tables may reference ledger accounts by foreign key."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from ledger.schema import LedgerBase


class Base(DeclarativeBase):
    metadata = LedgerBase.metadata
