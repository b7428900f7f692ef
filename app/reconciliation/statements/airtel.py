"""Reading Airtel Money's merchant statement export (CSV or XLSX) as neutral lines.

The layout is ASSUMED (docs/airtel.md: no public source shows one; the simulator writes it):
one header row, then one row per movement, oldest first. The header's eleven columns are
the contract and are mapped by name, in any order: Transaction ID (Airtel's id, our
receipt), External Reference (our transaction id), Transaction Date (``YYYY-MM-DD
HH:MM:SS`` EAT), Transaction Type, Status (``TS``...), MSISDN (national, masked
``733****56``), Credit, Debit (``1500.00``, one of the two), Balance, Currency, Reference.

Rules: only a ``TS`` row moves money; each row's Balance is the previous one plus its Credit
minus its Debit (a row that breaks the chain rejects the file with its line number); the
opening balance is the first row's Balance less its movement, the closing balance the last
row's. A row that cannot be read raises ``StatementRejected`` naming its line; nothing here
touches the database. Lines come out as the same ``ParsedLine`` the M-Pesa reader yields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from operator import itemgetter

from app.reconciliation.statements import cells
from app.reconciliation.statements.cells import CellError
from app.reconciliation.statements.reader import (
    CURRENCY,
    MAX_HEADER_SEARCH_ROWS,
    ParsedLine,
    Preamble,
    Row,
    StatementRejected,
    counted_rows,
)

COLUMNS: dict[str, str] = {
    "transaction id": "Transaction ID",
    "external reference": "External Reference",
    "transaction date": "Transaction Date",
    "transaction type": "Transaction Type",
    "status": "Status",
    "msisdn": "MSISDN",
    "credit": "Credit",
    "debit": "Debit",
    "balance": "Balance",
    "currency": "Currency",
    "reference": "Reference",
}
"""Header text (lower case, single spaces) -> the column's name in messages; all required."""
SUCCEEDED = "TS"
STATUS_NAMES = {"TS": "Completed", "TF": "Failed", "TR": "Reversed"}
"""Airtel's transaction statuses as stored (``Completed`` is what moves money downstream)."""
COLLECTION, DISBURSEMENT = "collection", "disbursement"
ACCOUNT_OF_TYPE = {"merchant payment": COLLECTION, "refund": COLLECTION}
ACCOUNT_OF_TYPE["disbursement"] = DISBURSEMENT
CATEGORY_OF_TYPE = {"merchant payment": "payment_in", "disbursement": "payout"}
CATEGORY_OF_TYPE["refund"] = "reversal"

_SPACES = re.compile(r"\s+")
_AIRTEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{3,31}$")
_NATIONAL_MASK = re.compile(r"^[17][0-9]{1,7}\*+[0-9]{1,7}$")


def column_of(cell: object) -> str | None:
    if not isinstance(cell, str):
        return None
    name = _SPACES.sub(" ", cell).strip().lower()
    return name if name in COLUMNS else None


def is_header(row: Row) -> bool:
    """Whether a row is this layout's header (it names Transaction ID and External Reference)."""
    names = {column_of(cell) for cell in row}
    return {"transaction id", "external reference"} <= names


def airtel_id(cell: object, column: str) -> str:
    """Airtel's ids as written (``CI261207.AB12CD34``): letters, digits, ``.``, ``-``, ``_``."""
    value = cells.text(cell)
    if not _AIRTEL_ID.match(value):
        raise CellError(column, "is not an Airtel transaction id (4 to 32 letters and digits)")
    return value


def party(cell: object) -> str | None:
    """The masked number with Kenya's 254 in front (``254733****56``), as our numbers are
    stored, so a payee's number can be compared with it; any full number is masked."""
    value = cells.text(cell).replace(" ", "")
    if _NATIONAL_MASK.match(value):
        return f"254{value}"
    return cells.mask_numbers(value)[:120] or None


class AirtelStatementReader:
    """Finds the header in ``rows``, then yields the lines; ``read_after()`` is the opening
    and closing balances and the account once every line was read."""

    def __init__(self, rows: Iterator[tuple[int, Row]]) -> None:
        self._rows = rows
        self.preamble = Preamble()
        self._opening: int | None = None
        self._balance: int | None = None
        self._accounts: set[str] = set()
        for searched, (line_no, row) in enumerate(rows, start=1):
            if is_header(row):
                self._columns(line_no, row)
                return
            if searched >= MAX_HEADER_SEARCH_ROWS:
                break
        raise StatementRejected(
            None,
            "no header row: no 'Transaction ID' and 'External Reference' cells in the first "
            f"{MAX_HEADER_SEARCH_ROWS} lines (not an Airtel Money statement)",
        )

    def _columns(self, line_no: int, row: Row) -> None:
        found: dict[str, int] = {}
        for index, cell in enumerate(row):
            name = column_of(cell)
            if name is not None and name not in found:
                found[name] = index
        missing = [label for name, label in COLUMNS.items() if name not in found]
        if missing:
            raise StatementRejected(line_no, f"the header has no {', '.join(missing)} column")
        self.header_line = line_no
        self._width = max(found.values()) + 1
        self._pick = itemgetter(*(found[name] for name in COLUMNS))

    def lines(self) -> Iterator[ParsedLine]:
        for line_no, row in counted_rows(self._rows):
            if len(row) < self._width:
                problem = f"truncated row: {len(row)} cells where the header has {self._width}"
                raise StatementRejected(line_no, problem)
            try:
                yield self._parse(line_no, row)
            except CellError as exc:
                raise StatementRejected(line_no, str(exc)) from None

    def read_after(self) -> Preamble:
        """The balances and account the lines showed (call after ``lines()`` is exhausted)."""
        account = "+".join(sorted(self._accounts)) or None
        return Preamble(
            account_name=account,
            opening_balance_minor=self._opening,
            closing_balance_minor=self._balance,
        )

    def _parse(self, line_no: int, row: Row) -> ParsedLine:
        (
            id_cell,
            external_cell,
            date_cell,
            type_cell,
            status_cell,
            msisdn_cell,
            credit_cell,
            debit_cell,
            balance_cell,
            currency_cell,
            reference_cell,
        ) = self._pick(row)
        receipt = airtel_id(id_cell, "Transaction ID")
        completed_at = cells.eat_time(date_cell, "Transaction Date")
        credit = cells.money_minor(credit_cell, "Credit")
        debit = cells.money_minor(debit_cell, "Debit")
        if credit < 0 or debit < 0:
            raise CellError("Credit" if credit < 0 else "Debit", "is negative")
        if credit and debit:
            raise CellError("Credit", "and Debit are both set")
        amount = credit - debit
        currency = cells.text(currency_cell).upper() or CURRENCY
        if currency != CURRENCY:
            raise CellError("Currency", f"is not {CURRENCY}")
        code = cells.text(status_cell).upper()
        if not code:
            raise CellError("Status", "is empty")
        moves_money = amount != 0 and code == SUCCEEDED
        self._chain(balance_cell, amount if moves_money else 0)
        kind = _SPACES.sub(" ", cells.text(type_cell)).strip()
        category = CATEGORY_OF_TYPE.get(kind.lower())
        if category is None or (category == "payment_in") != (amount > 0):
            category = "payment_in" if amount > 0 else "other"
        if kind.lower() in ACCOUNT_OF_TYPE:
            self._accounts.add(ACCOUNT_OF_TYPE[kind.lower()])
        reference = cells.mask_numbers(cells.text(reference_cell))
        linked = reference if category == "reversal" and _AIRTEL_ID.match(reference) else None
        return ParsedLine(
            line_no,
            receipt,
            completed_at,
            None,
            STATUS_NAMES.get(code, code)[:24],
            moves_money,
            amount,
            self._balance,
            category,
            "main",
            kind[:80] or None,
            reference[:200] or None,
            party(msisdn_cell),
            linked,
            cells.text(external_cell)[:64] or None,
            currency,
        )

    def _chain(self, balance_cell: object, moved_minor: int) -> None:
        """Each Balance is the previous one plus this row's movement."""
        if cells.text(balance_cell) == "":
            raise CellError("Balance", "is empty")
        balance = cells.money_minor(balance_cell, "Balance")
        if self._balance is None:
            self._opening = balance - moved_minor
        elif self._balance + moved_minor != balance:
            expected = _shillings(self._balance + moved_minor)
            problem = f"does not follow from the line before (expected {expected})"
            raise CellError("Balance", problem)
        self._balance = balance


def _shillings(amount_minor: int) -> str:
    sign, whole = ("-" if amount_minor < 0 else ""), abs(amount_minor)
    return f"{sign}{whole // 100:,}.{whole % 100:02d}"
