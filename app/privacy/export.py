"""Everything the fund holds about one borrower, for them (the right of access, Data
Protection Act s.26) and for support answering them: every row of every table that names
the borrower (a foreign key to ``borrowers``), one of their loans or businesses (a foreign
key to ``loans`` or ``businesses``) or their number (``phone_index``),
with their encrypted fields decrypted for them, and nothing about anyone else.

Walked from the table registry rather than listed by hand, so a table added tomorrow is in
the export the day it lands (a test holds this). Withheld, and said so in the export:
secrets that protect the borrower (PIN hashes, token hashes, blind indexes), which are no
information about them; the ledger, whose accounts pool every borrower's money (their own
movements are the loans, repayments, payouts and savings rows here); staff's four-eyes
requests and the audit log (the fund's internal records of its own staff).
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, select
from sqlalchemy.orm import Session

from app.borrowers.service import get_borrower
from app.db.base import Base
from app.privacy.retention import ERASED
from app.security.fields import FieldCipher, UndecryptableField

WITHHELD_SUFFIXES = ("_hash", "_sha256", "_index")
"""Secrets that protect the borrower: hashes of PINs and tokens, blind indexes."""
NOT_EXPORTED_TABLES = frozenset({"approval_requests", "approval_decisions", "audit_log"})
"""Staff's own records; the ledger's tables are not in ``Base`` at all (pooled accounts)."""
WITHHELD_NOTE = (
    "PIN and token hashes and blind indexes are withheld: they protect you and say nothing "
    "about you. The ledger pools every borrower's money in shared accounts: your own "
    "movements are the loans, repayments and payouts above. Staff approvals and the audit "
    "log are the fund's records of its staff."
)


OWNED = ("loans", "businesses")
"""Tables whose rows are the borrower's own things (a loan, a business they own): a row that
refers to one of them is about the borrower too."""
PHONE = "phone"


@dataclass(frozen=True, slots=True)
class Link:
    column: str
    """The column that names the borrower, one of their things, or their number."""
    target: str
    """``borrowers``, a table of ``OWNED``, or ``PHONE`` (the number's blind index)."""


def _link(table: Table) -> Link | None:
    """How ``table`` names a borrower: a foreign key to ``borrowers`` (whatever the column's
    name), else one to a table of ``OWNED``, else a ``phone_index`` column."""
    keys = sorted(table.foreign_keys, key=lambda fk: fk.parent.name)
    for targets in (("borrowers",), OWNED):
        for fk in keys:
            if fk.column.table.name in targets and fk.column.name == "id":
                return Link(fk.parent.name, fk.column.table.name)
    return Link("phone_index", PHONE) if "phone_index" in table.c else None


def exported_tables(tables: Iterable[Table]) -> list[tuple[Table, Link]]:
    """The tables that can hold a row about a borrower, and how each names them."""
    found = []
    for table in tables:
        link = _link(table)
        if link is not None and table.name not in NOT_EXPORTED_TABLES:
            found.append((table, link))
    return sorted(found, key=lambda pair: pair[0].name)


def _withheld(column: Column[Any]) -> bool:
    return column.name.endswith(WITHHELD_SUFFIXES)


def _plain(value: Any, name: str, cipher: FieldCipher) -> Any:
    if value is None:
        return None
    if name.endswith("_enc"):
        if value == ERASED:
            return ERASED
        try:
            return cipher.decrypt(value)
        except UndecryptableField:
            return "(cannot be read with the current keys)"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _rows(
    session: Session, table: Table, where: ColumnElement[bool], cipher: FieldCipher
) -> list[dict[str, Any]]:
    columns = [c for c in table.c if not _withheld(c)]
    found = session.execute(select(*columns).where(where).order_by(*table.primary_key))
    return [
        {
            column.name.removesuffix("_enc"): _plain(row[column.name], column.name, cipher)
            for column in columns
        }
        for row in found.mappings()
    ]


def borrower_data(
    session: Session, cipher: FieldCipher, borrower_id: int, now: datetime
) -> dict[str, Any]:
    borrower = get_borrower(session, borrower_id)
    keys: dict[str, list[Any]] = {"borrowers": [borrower_id], PHONE: [borrower.phone_index]}
    for name in OWNED:
        owned = Base.metadata.tables.get(name)
        link = None if owned is None else _link(owned)
        if owned is not None and link is not None and link.target == "borrowers":
            keys[name] = list(
                session.scalars(select(owned.c.id).where(owned.c[link.column] == borrower_id))
            )
    borrowers = Base.metadata.tables["borrowers"]
    [profile] = _rows(session, borrowers, borrowers.c.id == borrower_id, cipher)
    tables = {
        table.name: _rows(
            session, table, table.c[link.column].in_(keys.get(link.target, [])), cipher
        )
        for table, link in exported_tables(Base.metadata.sorted_tables)
    }
    withheld = [
        f"{table.name}.{column.name}"
        for table in (borrowers, *(t for t, _ in exported_tables(Base.metadata.sorted_tables)))
        for column in table.c
        if _withheld(column)
    ]
    return {
        "borrower_id": borrower_id,
        "generated_at": now.isoformat(),
        "profile": profile,
        "tables": tables,
        "withheld_columns": sorted(withheld),
        "withheld_note": WITHHELD_NOTE,
    }
