"""Loan account numbers: ``MK`` + the loan id (7+ digits) + a Luhn check digit, e.g.
``MK00000427``. At most 12 characters (the M-Pesa AccountReference limit) up to a billion
loans; the check digit catches a mistyped paybill account number before it is matched."""

from __future__ import annotations

import re

PREFIX = "MK"
_PATTERN = re.compile(r"^MK(\d{7,9})(\d)$")


def luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return (10 - total % 10) % 10


def account_number(loan_id: int) -> str:
    body = f"{loan_id:07d}"
    return f"{PREFIX}{body}{luhn_digit(body)}"


def loan_id_from(account: str) -> int | None:
    """The loan id in a (normalised) account number, or None if it is not one of ours."""
    match = _PATTERN.match(account.strip().upper().replace(" ", ""))
    if match is None or luhn_digit(match.group(1)) != int(match.group(2)):
        return None
    return int(match.group(1))
