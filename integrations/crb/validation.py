"""The template's rules, checked on both sides: the fund before a file leaves
(``app.crb.export``) and the bureau when it arrives (``integrations.crb.simulator``).

A file is valid when its first line is the template's header and every record has the
template's number of fields, each in its format. Cross-field rules of the account file: a
closed or cleared account has a closing date and owes nothing; an open one has no closing
date; arrears never exceed the balance; a listed account owes more than KES 1,000 (no
negative listing at or below the threshold, CRB Regulations 2020). Errors name the record
(1 = the first line after the header), the field and the reason; at most ``MAX_ERRORS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from integrations.crb.template import (
    FIELDS,
    NEGATIVE_STATUSES,
    SEPARATOR,
    AccountStatus,
    FieldSpec,
    FileType,
    Format,
    header,
)

MAX_ERRORS = 1_000
LISTING_THRESHOLD_MINOR = 100_000
"""KES 1,000: a negative listing must be for more than this."""
_PATTERNS = {
    Format.TEXT: re.compile(r"[A-Za-z0-9 .,'/-]*"),
    Format.NAME: re.compile(r"[A-Za-z][A-Za-z '-]*"),
    Format.DIGITS: re.compile(r"[0-9]+"),
    Format.AMOUNT: re.compile(r"(0|[1-9][0-9]*)\.[0-9]{2}"),
    Format.COUNT: re.compile(r"(0|[1-9][0-9]*)"),
}


@dataclass(frozen=True, slots=True)
class RecordError:
    record: int
    """1 for the first record after the header; 0 for the file itself."""
    field: str
    reason: str


def validate_file(file_type: FileType, text: str) -> list[RecordError]:
    """Every broken rule of ``text`` as a ``file_type`` file (empty: the file is valid)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != header(file_type):
        return [RecordError(0, "header", f"the first line must be {header(file_type)!r}")]
    errors: list[RecordError] = []
    specs = FIELDS[file_type]
    for number, line in enumerate(lines[1:], start=1):
        values = line.split(SEPARATOR)
        if len(values) != len(specs):
            errors.append(RecordError(number, "record", f"{len(values)} fields, not {len(specs)}"))
        else:
            errors += validate_record(
                file_type, number, dict(zip((s.name for s in specs), values, strict=True))
            )
        if len(errors) >= MAX_ERRORS:
            return errors[:MAX_ERRORS]
    return errors


def validate_record(file_type: FileType, number: int, record: dict[str, str]) -> list[RecordError]:
    errors = [
        RecordError(number, spec.name, reason)
        for spec in FIELDS[file_type]
        if (reason := field_problem(spec, record[spec.name])) is not None
    ]
    if not errors and file_type is FileType.ACCOUNT:
        errors += [RecordError(number, f, r) for f, r in _account_problems(record)]
    return errors


def field_problem(spec: FieldSpec, value: str) -> str | None:
    if value == "":
        return "required" if spec.required else None
    if len(value) > spec.max_len:
        return f"longer than {spec.max_len}"
    if spec.format is Format.CODE:
        return None if value in spec.codes else f"not one of {', '.join(spec.codes)}"
    if spec.format is Format.DATE:
        return None if _is_date(value) else "not a date YYYYMMDD"
    if not _PATTERNS[spec.format].fullmatch(value):
        return f"not in the {spec.format} format"
    return None


def _is_date(value: str) -> bool:
    if len(value) != 8 or not value.isdigit():
        return False
    try:
        datetime.strptime(value, "%Y%m%d")  # noqa: DTZ007 - a calendar date, no time zone
    except ValueError:
        return False
    return True


def _minor(amount: str) -> int:
    shillings, cents = amount.split(".")
    return int(shillings) * 100 + int(cents)


def _account_problems(record: dict[str, str]) -> list[tuple[str, str]]:
    status = AccountStatus(record["account_status"])
    balance = _minor(record["current_balance"])
    problems = []
    if status in (AccountStatus.CLOSED, AccountStatus.CLEARED):
        if record["date_closed"] == "":
            problems.append(("date_closed", "required for a closed account"))
        if balance != 0:
            problems.append(("current_balance", "a closed account owes nothing"))
    elif record["date_closed"] != "":
        problems.append(("date_closed", "an open account has no closing date"))
    if _minor(record["amount_in_arrears"]) > balance:
        problems.append(("amount_in_arrears", "more than the current balance"))
    if status in NEGATIVE_STATUSES and balance <= LISTING_THRESHOLD_MINOR:
        problems.append(("account_status", "no negative listing for KES 1,000 or less"))
    if record["date_opened"] > record["file_date"]:
        problems.append(("date_opened", "after the file date"))
    return problems
