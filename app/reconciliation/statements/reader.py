"""Reading a statement file (CSV or XLSX) as a stream of lines, with bounded memory.

The header row is found by name (a ``Receipt No.`` cell within the first rows), so any
preamble may precede it; columns are mapped by header, not position, and only four are
required (Receipt No., Completion Time, Paid In, Withdrawn). Rows above the header are read
as the preamble (holder, shortcode, account, period, opening and closing balances) on a
best-effort basis. Any row that cannot be read rejects the whole file with its line number:
``StatementRejected``. Nothing here touches the database.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import IO, Any, NamedTuple

from app.errors import DomainError
from app.reconciliation.statements import cells
from app.reconciliation.statements.cells import CellError

MAX_HEADER_SEARCH_ROWS = 20
MAX_LINES = 5_000_000
CURRENCY = "KES"
XLSX_MAGIC = b"PK\x03\x04"
FIELDS = (
    "receipt",
    "completed_at",
    "initiated_at",
    "details",
    "status",
    "paid_in",
    "withdrawn",
    "balance",
    "reason_type",
    "other_party",
    "linked_receipt",
    "account_ref",
    "currency",
)
"""What a line is read for, in the order ``_parse`` unpacks them."""

Row = Sequence[object]


class StatementRejected(DomainError):
    """The file cannot be read as a statement; nothing of it was imported."""

    code = "statement_rejected"
    http_status = 422

    def __init__(self, line_no: int | None, problem: str) -> None:
        super().__init__(f"line {line_no}: {problem}" if line_no else problem)
        self.line_no = line_no
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Preamble:
    account_holder: str | None = None
    shortcode: str | None = None
    account_name: str | None = None
    period_from: datetime | None = None
    period_to: datetime | None = None
    opening_balance_minor: int | None = None
    closing_balance_minor: int | None = None


class ParsedLine(NamedTuple):
    """One line as read (a tuple: a million of them are built per big file)."""

    line_no: int
    receipt: str
    completed_at: datetime
    initiated_at: datetime | None
    status: str
    moves_money: bool
    amount_minor: int
    balance_minor: int | None
    category: str
    role: str
    reason_type: str | None
    details: str | None
    other_party: str | None
    linked_receipt: str | None
    account_ref: str | None
    currency: str

    @property
    def line_key(self) -> str:
        return cells.line_key(self.receipt, self.role, self.amount_minor)


def file_format(head: bytes) -> str:
    return "xlsx" if head.startswith(XLSX_MAGIC) else "csv"


def csv_rows(stream: IO[bytes]) -> Iterator[tuple[int, Row]]:
    """(line number, cells) of each CSV record; the number is the record's first line."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    next_line = 1
    try:
        for row in reader:
            yield next_line, row
            next_line = reader.line_num + 1
    except csv.Error as exc:
        raise StatementRejected(next_line, f"not valid CSV ({exc})") from None
    except UnicodeDecodeError:
        raise StatementRejected(next_line, "the file is not UTF-8 text") from None
    finally:
        with contextlib.suppress(ValueError):  # the caller may have closed it already
            text.detach()  # leave the caller's stream open


def xlsx_rows(stream: IO[bytes]) -> Iterator[tuple[int, Row]]:
    """(row number, cell values) of the first worksheet, read without loading the sheet."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # noqa: PLC0415

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken archive
        raise StatementRejected(
            None, f"not a readable XLSX workbook ({type(exc).__name__})"
        ) from None
    number = 0
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    except Exception as exc:  # a damaged sheet fails while it is read
        problem = f"the worksheet cannot be read ({type(exc).__name__})"
        raise StatementRejected(number + 1, problem) from None
    finally:
        workbook.close()


def open_rows(stream: IO[bytes]) -> tuple[str, Iterator[tuple[int, Row]]]:
    """The file's format and its rows; the stream must be positioned at its start."""
    head = stream.read(4)
    stream.seek(0)
    kind = file_format(head)
    return kind, (xlsx_rows(stream) if kind == "xlsx" else csv_rows(stream))


def is_blank(row: Row) -> bool:
    return not any(row) or all(
        cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row
    )


def counted_rows(rows: Iterable[tuple[int, Row]]) -> Iterator[tuple[int, Row]]:
    """The rows that are not blank, with their line numbers; more than ``MAX_LINES`` of them
    rejects the file at the first one over."""
    count = 0
    for line_no, row in rows:
        if is_blank(row):
            continue
        count += 1
        if count > MAX_LINES:
            raise StatementRejected(line_no, f"more than {MAX_LINES:,} lines")
        yield line_no, row


class StatementReader:
    """Reads the preamble and header from ``rows``, then yields the lines one by one."""

    def __init__(self, rows: Iterator[tuple[int, Row]]) -> None:
        self._rows = rows
        preamble_rows: list[Row] = []
        for line_no, row in rows:
            columns = self._header(row)
            if columns is not None:
                self._check_header(line_no, columns)
                self.header_line = line_no
                self._width = max(columns.values()) + 1
                # One C-level getter for the 13 fields; a missing column reads the pad cell.
                self._pad = any(field not in columns for field in FIELDS)
                self._pick = itemgetter(*(columns.get(field, self._width) for field in FIELDS))
                self.preamble = read_preamble(preamble_rows)
                return
            if len(preamble_rows) >= MAX_HEADER_SEARCH_ROWS:
                break
            preamble_rows.append(row)
        raise StatementRejected(
            None,
            f"no header row: no 'Receipt No.' cell in the first {MAX_HEADER_SEARCH_ROWS} lines",
        )

    @staticmethod
    def _header(row: Row) -> dict[str, int] | None:
        fields = [cells.header_field(cell) for cell in row]
        if "receipt" not in fields:
            return None
        columns: dict[str, int] = {}
        for index, field in enumerate(fields):
            if field is not None and field not in columns:
                columns[field] = index
        return columns

    @staticmethod
    def _check_header(line_no: int, columns: dict[str, int]) -> None:
        missing = [cells.COLUMN_NAMES[f] for f in cells.REQUIRED_FIELDS if f not in columns]
        if missing:
            raise StatementRejected(line_no, f"the header has no {', '.join(missing)} column")

    def read_after(self) -> Preamble:
        """What the file says about its balances and account: the preamble, for M-Pesa."""
        return self.preamble

    def lines(self) -> Iterator[ParsedLine]:
        for line_no, row in counted_rows(self._rows):
            yield self._line(line_no, row)

    def _line(self, line_no: int, row: Row) -> ParsedLine:
        if len(row) < self._width:
            raise StatementRejected(
                line_no, f"truncated row: {len(row)} cells where the header has {self._width}"
            )
        try:
            return self._parse(line_no, row)
        except CellError as exc:
            raise StatementRejected(line_no, str(exc)) from None

    def _parse(self, line_no: int, row: Row) -> ParsedLine:
        if self._pad:  # a column the file does not have reads as an empty cell
            row = (*row, None)
        (
            receipt_cell,
            completed_cell,
            initiated_cell,
            details_cell,
            status_cell,
            paid_in_cell,
            withdrawn_cell,
            balance_cell,
            reason_cell,
            party_cell,
            linked_cell,
            account_cell,
            currency_cell,
        ) = self._pick(row)
        receipt = cells.receipt(receipt_cell, "receipt")
        completed_at = cells.eat_time(completed_cell, "completed_at")
        paid_in = cells.money_minor(paid_in_cell, "paid_in")
        withdrawn = cells.money_minor(withdrawn_cell, "withdrawn")
        if paid_in < 0:
            raise CellError("Paid In", "is negative")
        if paid_in and withdrawn:
            raise CellError("Paid In", "and Withdrawn are both set")
        amount = paid_in - abs(withdrawn)  # Withdrawn is written either sign
        currency = cells.text(currency_cell).upper() or CURRENCY
        if currency != CURRENCY:
            raise CellError("Currency", f"is not {CURRENCY}")
        status = cells.text(status_cell)[:24] or "Completed"
        reason_type = cells.text(reason_cell)[:80]
        details = cells.mask_numbers(cells.text(details_cell))[:200]
        category, role = cells.classify(reason_type, details, amount)
        party = cells.mask_numbers(cells.text(party_cell))[:120]
        return ParsedLine(
            line_no,
            receipt,
            completed_at,
            cells.optional_eat_time(initiated_cell, "initiated_at"),
            status,
            amount != 0 and cells.is_completed(status),
            amount,
            _balance(balance_cell),
            category,
            role,
            reason_type or None,
            details or None,
            party or None,
            cells.optional_receipt(linked_cell, "linked_receipt"),
            cells.account_reference(account_cell),
            currency,
        )


def _balance(cell: object) -> int | None:
    return None if cells.text(cell) == "" else cells.money_minor(cell, "balance")


# -- the preamble (best effort: a preamble that cannot be read does not reject the file) --


_LABELS = {
    "account holder": "account_holder",
    "organisation name": "account_holder",
    "organization name": "account_holder",
    "short code": "shortcode",
    "shortcode": "shortcode",
    "paybill": "shortcode",
    "account": "account_name",
}


def read_preamble(rows: list[Row]) -> Preamble:
    found: dict[str, Any] = {}
    for row in rows:
        values = [cells.text(c) for c in row]
        if not values:
            continue
        label = values[0].rstrip(":").strip().lower()
        if label in _LABELS and len(values) > 1 and values[1]:
            found.setdefault(_LABELS[label], values[1][:120])
        _period(values, found)
        _balances(values, found)
    return Preamble(**found)


def _period(values: list[str], found: dict[str, Any]) -> None:
    joined = " ".join(v for v in values if v)
    lower = joined.lower()
    if "from " not in lower or " to " not in f" {lower}":
        return
    start = lower.index("from ") + 5
    end = lower.index(" to ", start) if " to " in lower[start:] else -1
    if end < 0:
        return
    try:
        found.setdefault("period_from", cells.eat_time(joined[start:end].strip(), "period"))
        found.setdefault("period_to", cells.eat_time(joined[end + 4 :].strip(), "period"))
    except CellError:
        return


def _balances(values: list[str], found: dict[str, Any]) -> None:
    for index, value in enumerate(values[:-1]):
        label = value.strip().rstrip(":").lower()
        field = {"opening balance": "opening_balance_minor"}.get(label)
        field = field or {"closing balance": "closing_balance_minor"}.get(label)
        if field is None:
            continue
        try:
            found.setdefault(field, cells.money_minor(values[index + 1], field))
        except CellError:
            continue
