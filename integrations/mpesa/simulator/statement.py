"""The M-Pesa organisation portal's statement export (Daraja reference §11), as pure functions.

``statement_csv`` writes the six preamble rows, the 13 column headers in their exact order and
one row per movement, oldest first, with a running balance that starts at the opening balance.
The simulator serves it at ``GET /__sim__/statement.csv``; a reconciliation test can build the
same file from ``Movement`` values of its own.

Invariant: every row's Balance equals the previous row's Balance (the opening balance for the
first row) plus its Paid In minus its Withdrawn; only "Completed" rows move the balance.
Conventions (reference §11.3): times ``dd-mm-yyyy HH:MM:SS`` in EAT, amounts with thousands
separators, Withdrawn negative (``signed_withdrawals``), the other cell of a pair empty, MSISDNs
masked as ``2547****5678``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from integrations.mpesa.credentials import NAIROBI

HEADERS: tuple[str, ...] = (
    "Receipt No.",
    "Completion Time",
    "Initiation Time",
    "Details",
    "Transaction Status",
    "Paid In",
    "Withdrawn",
    "Balance",
    "Balance Confirmed",
    "Reason Type",
    "Other Party Info",
    "Linked Transaction ID",
    "A/C No.",
)
PREAMBLE_ROWS = 6
"""Rows before the header row (the header is row 7)."""
TIME_FORMAT = "%d-%m-%Y %H:%M:%S"
COMPLETED = "Completed"
UTILITY_ACCOUNT = "Utility Account"
WORKING_ACCOUNT = "Working Account"
ALL_ACCOUNTS = "All Accounts"

REASON_B2C = "Business Payment to Customer via API"
REASON_PAYBILL = "Pay Utility"
REASON_STK = "Pay Bill Online"
REASON_BUY_GOODS = "Pay Merchant"
REASON_REVERSAL = "Reversal"
_B2C_REASONS = {
    "SalaryPayment": "Salary Payment via API",
    "PromotionPayment": "Promotion Payment via API",
}


@dataclass(frozen=True, slots=True)
class Movement:
    """One change to an organisation account, as its statement row shows it."""

    receipt: str
    completed_at: datetime
    initiated_at: datetime
    details: str
    reason_type: str
    amount_minor: int
    """Positive: paid in; negative: withdrawn."""
    account: str = UTILITY_ACCOUNT
    other_party: str = ""
    linked_receipt: str = ""
    account_reference: str = ""
    status: str = COMPLETED

    @property
    def moves_money(self) -> bool:
        return self.status == COMPLETED


@dataclass(frozen=True, slots=True)
class StatementHeading:
    """What the six preamble rows say besides the totals."""

    account_holder: str
    shortcode: str
    account: str
    period_from: datetime
    period_to: datetime
    operator: str
    reported_at: datetime
    opening_balance_minor: int


def statement_time(moment: datetime) -> str:
    return moment.astimezone(NAIROBI).strftime(TIME_FORMAT)


def money_text(amount_minor: int) -> str:
    """Cents as the portal writes shillings: ``113134000`` -> ``1,131,340.00``."""
    sign = "-" if amount_minor < 0 else ""
    shillings, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{shillings:,}.{cents:02d}"


def masked_msisdn(msisdn: str) -> str:
    """``254712345678`` -> ``2547****5678`` (the current statement mask)."""
    return f"{msisdn[:4]}****{msisdn[-4:]}"


def other_party(msisdn: str, name: str) -> str:
    return f"{masked_msisdn(msisdn)} - {name}"


def b2c_reason_type(command_id: str) -> str:
    """The Reason Type of a payout, by its CommandID."""
    return _B2C_REASONS.get(command_id, REASON_B2C)


def paid_in_reason_type(kind: str, command_id: str) -> str:
    """The Reason Type of a customer's payment: ``kind`` "stk" or "c2b"."""
    if kind == "stk":
        return REASON_STK
    return REASON_BUY_GOODS if command_id == "CustomerBuyGoodsOnline" else REASON_PAYBILL


def _withdrawn_text(amount_minor: int, signed: bool) -> str:
    return money_text(-amount_minor if signed else amount_minor)


def statement_rows(
    movements: Iterable[Movement], opening_balance_minor: int, *, signed_withdrawals: bool = True
) -> list[list[str]]:
    """The header row, then one row per movement in the order given, with running balances."""
    rows = [list(HEADERS)]
    balance = opening_balance_minor
    for movement in movements:
        amount = movement.amount_minor
        if movement.moves_money:
            balance += amount
        rows.append(
            [
                movement.receipt,
                statement_time(movement.completed_at),
                statement_time(movement.initiated_at),
                movement.details,
                movement.status,
                money_text(amount) if amount > 0 else "",
                _withdrawn_text(-amount, signed_withdrawals) if amount < 0 else "",
                money_text(balance),
                "true",
                movement.reason_type,
                movement.other_party,
                movement.linked_receipt,
                movement.account_reference,
            ]
        )
    return rows


def preamble_rows(
    heading: StatementHeading, movements: Sequence[Movement], *, signed_withdrawals: bool = True
) -> list[list[str]]:
    """Rows 1-6: holder, shortcode, account, period, operator and date, then the totals (values
    in columns B, D, F, H and J)."""
    moving = [m.amount_minor for m in movements if m.moves_money]
    paid_in = sum(amount for amount in moving if amount > 0)
    withdrawn = -sum(amount for amount in moving if amount < 0)
    closing = heading.opening_balance_minor + paid_in - withdrawn
    return [
        ["Account Holder", heading.account_holder],
        ["Short Code", heading.shortcode],
        ["Account", heading.account],
        [
            "Time Period:",
            "",
            f"From {statement_time(heading.period_from)}",
            "",
            f"To {statement_time(heading.period_to)}",
        ],
        [
            f"Operator: {heading.operator}",
            "",
            f"Date of Report: {statement_time(heading.reported_at)}",
        ],
        [
            "Opening Balance",
            money_text(heading.opening_balance_minor),
            "Closing Balance",
            money_text(closing),
            "Available Balance",
            money_text(closing),
            "Total Paid In",
            money_text(paid_in),
            "Total Withdrawn",
            _withdrawn_text(withdrawn, signed_withdrawals),
        ],
    ]


def statement_csv(
    heading: StatementHeading, movements: Sequence[Movement], *, signed_withdrawals: bool = True
) -> str:
    """The whole export: preamble, headers, rows (sorted by completion time, stable)."""
    ordered = sorted(movements, key=lambda m: m.completed_at)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(preamble_rows(heading, ordered, signed_withdrawals=signed_withdrawals))
    writer.writerows(
        statement_rows(
            ordered, heading.opening_balance_minor, signed_withdrawals=signed_withdrawals
        )
    )
    return out.getvalue()


# -- the simulator's own movements -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """Money between the fund and one person's wallet, as the statement will show it."""

    receipt: str
    msisdn: str
    """The other party's number (shown masked)."""
    party_name: str
    """The other party's name: the payer of a payment in, the payee of a payout."""
    amount_minor: int
    """Positive, whichever way the money moved."""
    initiated_at: datetime
    completed_at: datetime


def paid_in(
    transfer: Transfer, *, account_reference: str, reason_type: str, account: str = WORKING_ACCOUNT
) -> Movement:
    """A customer's payment into the paybill (C2B, or STK when ``reason_type`` is REASON_STK)."""
    if reason_type == REASON_STK:
        details = "Pay Bill Online"
    else:
        details = f"Pay Bill from {masked_msisdn(transfer.msisdn)} - Acc. {account_reference}"
    return Movement(
        receipt=transfer.receipt,
        completed_at=transfer.completed_at,
        initiated_at=transfer.initiated_at,
        details=details,
        reason_type=reason_type,
        amount_minor=transfer.amount_minor,
        account=account,
        other_party=other_party(transfer.msisdn, transfer.party_name),
        account_reference=account_reference,
    )


def business_payment(transfer: Transfer, *, reason_type: str = REASON_B2C) -> Movement:
    """A B2C payout out of the utility account."""
    return Movement(
        receipt=transfer.receipt,
        completed_at=transfer.completed_at,
        initiated_at=transfer.initiated_at,
        details=(f"Business Payment to {masked_msisdn(transfer.msisdn)} - {transfer.party_name}"),
        reason_type=reason_type,
        amount_minor=-transfer.amount_minor,
        account=UTILITY_ACCOUNT,
        other_party=other_party(transfer.msisdn, transfer.party_name),
    )


def reversal(
    transfer: Transfer,
    *,
    original_receipt: str,
    account_reference: str,
    account: str = WORKING_ACCOUNT,
) -> Movement:
    """A payment into the paybill, sent back to its payer; linked to the original receipt."""
    return Movement(
        receipt=transfer.receipt,
        completed_at=transfer.completed_at,
        initiated_at=transfer.initiated_at,
        details=f"Reversal of {original_receipt}",
        reason_type=REASON_REVERSAL,
        amount_minor=-transfer.amount_minor,
        account=account,
        other_party=other_party(transfer.msisdn, transfer.party_name),
        linked_receipt=original_receipt,
        account_reference=account_reference,
    )
