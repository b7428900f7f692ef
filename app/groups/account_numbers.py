"""Group loan account numbers: ``MG`` + the group loan id (7+ digits) + a Luhn check digit,
e.g. ``MG00000034``: what members type as the paybill account to repay their group's loan.
The same shape and check digit as individual loans' ``MK`` numbers
(``app.lending.account_numbers``), so the two never collide."""

from __future__ import annotations

import re

from app.lending.account_numbers import luhn_digit

PREFIX = "MG"
_PATTERN = re.compile(r"^MG(\d{7,9})(\d)$")


def group_account_number(group_loan_id: int) -> str:
    body = f"{group_loan_id:07d}"
    return f"{PREFIX}{body}{luhn_digit(body)}"


def group_loan_id_from(account: str) -> int | None:
    """The group loan id in a (normalised) account number, or None if it is not one."""
    match = _PATTERN.match(account.strip().upper().replace(" ", ""))
    if match is None or luhn_digit(match.group(1)) != int(match.group(2)):
        return None
    return int(match.group(1))
