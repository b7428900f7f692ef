"""Imports every model module so ``Base.metadata`` knows all tables (Alembic, tests)."""

from app.staff import models as staff_models  # noqa: F401
from ledger import schema as ledger_schema  # noqa: F401
from ledger.schema import LedgerBase

metadata = LedgerBase.metadata
