"""The cells of an M-Pesa organisation statement (Daraja reference §11) as neutral values.

Pure functions, no I/O: money in cents, times as aware UTC (the file's times are Nairobi
time), phone numbers masked, and a category for each line. A cell that cannot be read
raises ``CellError`` naming the column (never echoing a value that could be a full phone
number); the reader adds the line number.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from app.clock import EAT

COMPLETED = "completed"
MAX_AMOUNT_MINOR = 10**15
"""Far above any M-Pesa movement: a larger figure is a broken cell, not money."""

# Header text (lower case, single spaces, no trailing dot) -> the field it holds.
HEADERS: dict[str, str] = {
    "receipt no": "receipt",
    "receipt number": "receipt",
    "receipt": "receipt",
    "completion time": "completed_at",
    "initiation time": "initiated_at",
    "details": "details",
    "transaction status": "status",
    "paid in": "paid_in",
    "withdrawn": "withdrawn",
    "balance": "balance",
    "balance confirmed": "balance_confirmed",
    "reason type": "reason_type",
    "other party info": "other_party",
    "linked transaction id": "linked_receipt",
    "a/c no": "account_ref",
    "currency": "currency",
}
REQUIRED_FIELDS = ("receipt", "completed_at", "paid_in", "withdrawn")
COLUMN_NAMES = {
    "receipt": "Receipt No.",
    "completed_at": "Completion Time",
    "initiated_at": "Initiation Time",
    "paid_in": "Paid In",
    "withdrawn": "Withdrawn",
    "balance": "Balance",
    "linked_receipt": "Linked Transaction ID",
    "currency": "Currency",
}

_SPACES = re.compile(r"\s+")
_MONEY = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_RECEIPT = re.compile(r"^[A-Z0-9]{4,32}$")
_LONG_NUMBER = re.compile(r"\d{9,}")
_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=EAT)


class CellError(ValueError):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(f"{column} {problem}")
        self.column = column
        self.problem = problem


def header_field(cell: object) -> str | None:
    """The field a header cell names (``"Receipt No."`` -> ``"receipt"``), or None."""
    if not isinstance(cell, str):
        return None
    return HEADERS.get(_SPACES.sub(" ", cell).strip().rstrip(".").strip().lower())


def text(cell: object) -> str:
    """A cell as trimmed text ("" for an empty cell)."""
    if type(cell) is str:
        return cell.strip()
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def money_minor(cell: object, field: str) -> int:
    """Cents from ``"1,131,340.00"``, ``"-60.00"``, ``120000`` (XLSX numbers); empty is 0."""
    if type(cell) is str:
        raw = cell.strip()
        if not raw:
            return 0
        found = _MONEY.match(raw)
        if found is None:  # quotes left in the cell, or spaces between the digits
            cleaned = raw.replace(" ", "").strip('"')
            found = _MONEY.match(cleaned) if cleaned != raw else None
        if found is None:
            raise CellError(COLUMN_NAMES.get(field, field), "is not an amount (like 1,234.50)")
        return _money_minor(found, field)
    if cell is None or cell == "":
        return 0
    if isinstance(cell, bool) or not isinstance(cell, int | float):
        raise CellError(COLUMN_NAMES.get(field, field), "is not an amount")
    return _number_minor(cell, COLUMN_NAMES.get(field, field))


def _money_minor(found: re.Match[str], field: str) -> int:
    sign, whole, fraction = found.groups()
    minor = int(whole.replace(",", "")) * 100 + (int(fraction.ljust(2, "0")) if fraction else 0)
    if minor > MAX_AMOUNT_MINOR:
        raise CellError(COLUMN_NAMES.get(field, field), "is too large to be an amount")
    return -minor if sign == "-" else minor


def _number_minor(value: float, column: str) -> int:
    try:
        cents = Decimal(repr(value)) * 100
    except InvalidOperation as exc:
        raise CellError(column, "is not an amount") from exc
    if not cents.is_finite() or cents != cents.to_integral_value():
        raise CellError(column, "has more than two decimals")
    if abs(cents) > MAX_AMOUNT_MINOR:
        raise CellError(column, "is too large to be an amount")
    return int(cents)


_EAT_OFFSET = timedelta(hours=3)
"""Kenya keeps East Africa Time all year, so local - 3 h is UTC."""
_TIME_CACHE: dict[str, datetime] = {}
TIME_CACHE_SIZE = 4_096
"""Times read lately: a line's two times and its neighbours' often repeat."""


def eat_time(cell: object, field: str) -> datetime:
    """UTC from ``dd-mm-yyyy HH:MM:SS`` or ``yyyy-mm-dd HH:MM:SS`` in Nairobi time (seconds
    optional, ``/`` allowed in the first form), an XLSX date cell, or an Excel serial."""
    if type(cell) is str:
        cached = _TIME_CACHE.get(cell)
        if cached is not None:
            return cached
        moment = _text_time(cell.strip(), field)
        if len(_TIME_CACHE) >= TIME_CACHE_SIZE:
            _TIME_CACHE.clear()
        _TIME_CACHE[cell] = moment
        return moment
    column = COLUMN_NAMES.get(field, field)
    if isinstance(cell, datetime):
        local = cell if cell.tzinfo else cell.replace(tzinfo=EAT)
        return local.astimezone(UTC)
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if not 1 <= cell < 2_958_466:  # 1900-01-01 .. 9999-12-31
            raise CellError(column, "is not a date and time")
        return (_EXCEL_EPOCH + timedelta(days=float(cell))).astimezone(UTC)
    return _text_time(text(cell), field)


def _text_time(raw: str, field: str) -> datetime:
    found = _DMY.match(raw)
    if found is not None:
        day, month, year, hour, minute, second = found.groups()
    else:
        found = _YMD.match(raw)
        if found is None:
            raise CellError(
                COLUMN_NAMES.get(field, field), "is not a time like 01-03-2026 14:05:00"
            )
        year, month, day, hour, minute, second = found.groups()
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC
        )
        return local - _EAT_OFFSET
    except (ValueError, OverflowError) as exc:
        raise CellError(COLUMN_NAMES.get(field, field), "is not a real date and time") from exc


def optional_eat_time(cell: object, field: str) -> datetime | None:
    if cell is None or text(cell) == "":
        return None
    return eat_time(cell, field)


def receipt(cell: object, field: str) -> str:
    value = text(cell).upper()
    if not _RECEIPT.match(value):
        column = COLUMN_NAMES.get(field, field)
        raise CellError(column, "is not a receipt number (4 to 32 letters and digits)")
    return value


def optional_receipt(cell: object, field: str) -> str | None:
    return receipt(cell, field) if text(cell) else None


def mask_numbers(value: str) -> str:
    """Every run of 9+ digits (a phone number) as ``2547****5678``: the statement's own mask."""
    return _LONG_NUMBER.sub(lambda m: f"{m.group(0)[:4]}****{m.group(0)[-4:]}", value)


def account_reference(cell: object) -> str | None:
    """A/C No. as the C2B adapter normalises BillRefNumber: upper case, no spaces."""
    squeezed = _SPACES.sub("", text(cell)).upper()
    return squeezed[:64] or None


_SETTLEMENT_WORDS = ("settle", "to bank", "funds transfer", "bank transfer")
_PAYOUT_WORDS = ("business payment", "salary payment", "promotion payment", "b2c")
_DECIDING = re.compile("|".join(("charge", "reversal", *_SETTLEMENT_WORDS, *_PAYOUT_WORDS)))
"""Any word that decides a category: most paid-in lines have none (one scan, then done)."""


def classify(reason_type: str, details: str, amount_minor: int) -> tuple[str, str]:
    """(category, role) of a line from its Reason Type, Details and direction."""
    words = f"{reason_type} {details}".lower()
    if _DECIDING.search(words) is not None:
        if "charge" in words:
            return "charge", "charge"
        if "reversal" in words:
            return "reversal", "main"
        if any(word in words for word in _SETTLEMENT_WORDS):
            return "settlement", "main"
        if amount_minor < 0 and any(word in words for word in _PAYOUT_WORDS):
            return "payout", "main"
    if amount_minor > 0:
        return "payment_in", "main"
    return "other", "main"


def line_key(receipt_no: str, role: str, amount_minor: int) -> str:
    """``RCT1234567/m/+``: one stored line per receipt, role and direction."""
    return f"{receipt_no}/{role[0]}/{'-' if amount_minor < 0 else '+'}"


def line_keys(receipt_no: str, role: str) -> tuple[str, str]:
    """Both keys a receipt's line of this role can have (paid in, withdrawn): lookups by
    receipt use the unique index on ``line_key``."""
    return f"{receipt_no}/{role[0]}/+", f"{receipt_no}/{role[0]}/-"


def is_completed(status: str) -> bool:
    return status.strip().lower() == COMPLETED
