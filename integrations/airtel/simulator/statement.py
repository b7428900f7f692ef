"""The merchant statement export (CSV), one file per account: ``collection`` (payments in,
refunds out) or ``disbursement`` (payouts out).

ASSUMED format (no public source shows Airtel's merchant statement; docs/airtel.md): one header
row, no preamble, one row per completed movement oldest first, UTF-8, CRLF line ends. Columns:

``Transaction ID`` (Airtel's id; a refund's own id), ``External Reference`` (our transaction
id), ``Transaction Date`` (``YYYY-MM-DD HH:MM:SS``, EAT), ``Transaction Type`` (``Merchant
Payment``, ``Disbursement``, ``Refund``), ``Status`` (``TS``), ``MSISDN`` (national, masked
``733****56``), ``Credit`` / ``Debit`` (``1500.00``, no thousands separators, the other cell
empty), ``Balance`` (running, from the opening balance), ``Currency``, ``Reference``
(the request's reference; for a refund, the refunded payment's Airtel id).

Invariant: each row's Balance is the previous Balance plus Credit minus Debit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from integrations.mpesa.credentials import NAIROBI

HEADERS: tuple[str, ...] = (
    "Transaction ID",
    "External Reference",
    "Transaction Date",
    "Transaction Type",
    "Status",
    "MSISDN",
    "Credit",
    "Debit",
    "Balance",
    "Currency",
    "Reference",
)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
ACCOUNTS = ("collection", "disbursement")
TYPES = {"collection": "Merchant Payment", "disbursement": "Disbursement"}


@dataclass(frozen=True, slots=True)
class Movement:
    account: str
    airtel_money_id: str
    external_reference: str
    at: datetime
    kind: str
    msisdn: str
    amount_minor: int
    """Positive: into the account; negative: out of it."""
    reference: str


def money(amount_minor: int) -> str:
    shillings, cents = divmod(amount_minor, 100)
    return f"{shillings}.{cents:02d}"


def masked_national(msisdn: str) -> str:
    national = msisdn[3:]
    return f"{national[:3]}****{national[-2:]}"


def statement_csv(movements: Iterable[Movement], opening_minor: int, currency: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    balance = opening_minor
    for m in sorted(movements, key=lambda m: m.at):
        balance += m.amount_minor
        writer.writerow(
            [
                m.airtel_money_id,
                m.external_reference,
                m.at.astimezone(NAIROBI).strftime(TIME_FORMAT),
                m.kind,
                "TS",
                masked_national(m.msisdn),
                money(m.amount_minor) if m.amount_minor > 0 else "",
                money(-m.amount_minor) if m.amount_minor < 0 else "",
                money(balance),
                currency,
                m.reference,
            ]
        )
    return out.getvalue()
