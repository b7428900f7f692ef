"""The consumer and account files of the data specification template, as built (docs/crb.md).

The exact column list of CIS Kenya's current Data Specification Template is not public; these
columns follow what the public documents name (identity; account number, product, dates,
amounts, arrears, status, prudential class). Every column is one row of ``CONSUMER_FIELDS`` or
``ACCOUNT_FIELDS``: its name, its format and whether it may be empty, so that the mapping can
be corrected against the real template here without touching the rest.

File format (an assumption, docs/crb.md): UTF-8 text, one record a line, fields separated by
``|``, the first line the column names in order; no quoting, so no field may contain ``|``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

SEPARATOR = "|"
BUREAUS = ("transunion", "metropol", "creditinfo")
"""The licensed bureaus (CBK list, docs/crb.md): every file goes to each."""


class FileType(enum.StrEnum):
    CONSUMER = "consumer"
    ACCOUNT = "account"


class Format(enum.StrEnum):
    TEXT = "text"
    """Letters, digits, spaces and . ' - , / (at most ``max_len``)."""
    NAME = "name"
    """Letters, spaces, ' and -."""
    DIGITS = "digits"
    DATE = "date"
    """YYYYMMDD."""
    AMOUNT = "amount"
    """Shillings with two decimals, no separators: 1234.50."""
    COUNT = "count"
    """A whole number >= 0."""
    CODE = "code"
    """One of ``codes``."""


class AccountStatus(enum.StrEnum):
    CURRENT = "CURRENT"
    """Open, nothing past due."""
    ARREARS = "ARREARS"
    """Open, past due, not negatively listed (positive data: the arrears columns say how far)."""
    LISTED = "LISTED"
    """Negatively listed: defaulted above KES 1,000, 30 days after a pre-listing notice."""
    CLOSED = "CLOSED"
    """Repaid in full, never listed."""
    CLEARED = "CLEARED"
    """Repaid in full after a negative listing: the listing is cleared."""
    WRITTEN_OFF = "WRITTEN_OFF"
    """Written off by the lender and still owed, above KES 1,000 (negative)."""


NEGATIVE_STATUSES = frozenset({AccountStatus.LISTED, AccountStatus.WRITTEN_OFF})
PRUDENTIAL_CLASSES = ("NORMAL", "WATCH", "SUBSTANDARD", "DOUBTFUL", "LOSS")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    format: Format
    max_len: int
    required: bool = True
    codes: tuple[str, ...] = ()


def _code(name: str, codes: tuple[str, ...], required: bool = True) -> FieldSpec:
    return FieldSpec(name, Format.CODE, max(len(c) for c in codes), required, codes)


CONSUMER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("lender_code", Format.TEXT, 10),
    FieldSpec("customer_number", Format.DIGITS, 20),
    _code("id_type", ("NATIONAL_ID", "PASSPORT", "ALIEN_ID")),
    FieldSpec("id_number", Format.DIGITS, 12),
    FieldSpec("surname", Format.NAME, 60),
    FieldSpec("forename", Format.NAME, 60),
    FieldSpec("other_names", Format.NAME, 120, required=False),
    FieldSpec("date_of_birth", Format.DATE, 8),
    _code("gender", ("M", "F"), required=False),
    _code("nationality", ("KE",)),
    FieldSpec("mobile_number", Format.DIGITS, 12),
    FieldSpec("file_date", Format.DATE, 8),
)

ACCOUNT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("lender_code", Format.TEXT, 10),
    FieldSpec("customer_number", Format.DIGITS, 20),
    FieldSpec("id_number", Format.DIGITS, 12),
    FieldSpec("account_number", Format.TEXT, 20),
    FieldSpec("product_type", Format.TEXT, 20),
    FieldSpec("date_opened", Format.DATE, 8),
    FieldSpec("original_amount", Format.AMOUNT, 15),
    _code("currency", ("KES",)),
    FieldSpec("instalment_amount", Format.AMOUNT, 15),
    _code("instalment_frequency", ("ONCE", "WEEKLY", "FORTNIGHTLY", "MONTHLY")),
    FieldSpec("current_balance", Format.AMOUNT, 15),
    FieldSpec("amount_in_arrears", Format.AMOUNT, 15),
    FieldSpec("instalments_in_arrears", Format.COUNT, 4),
    FieldSpec("days_in_arrears", Format.COUNT, 5),
    _code("account_status", tuple(AccountStatus)),
    FieldSpec("account_status_date", Format.DATE, 8),
    FieldSpec("date_last_payment", Format.DATE, 8, required=False),
    FieldSpec("date_closed", Format.DATE, 8, required=False),
    _code("prudential_class", PRUDENTIAL_CLASSES),
    _code("dispute_flag", ("Y", "N")),
    FieldSpec("file_date", Format.DATE, 8),
)

FIELDS: dict[FileType, tuple[FieldSpec, ...]] = {
    FileType.CONSUMER: CONSUMER_FIELDS,
    FileType.ACCOUNT: ACCOUNT_FIELDS,
}


def header(file_type: FileType) -> str:
    return SEPARATOR.join(spec.name for spec in FIELDS[file_type])


def file_name(bureau: str, file_type: FileType, kind: str, yyyymmdd: str) -> str:
    """``MKOPO_TRANSUNION_ACCOUNT_DAILY_20261207.txt``: the name says everything the bureau
    needs to route the file; one name per (bureau, type, kind, date)."""
    return f"MKOPO_{bureau.upper()}_{file_type.upper()}_{kind.upper()}_{yyyymmdd}.txt"


def file_type_of(name: str) -> FileType | None:
    parts = name.split("_")
    if len(parts) == 5 and parts[2].lower() in set(FileType):
        return FileType(parts[2].lower())
    return None
