"""Mkopo's double-entry ledger.

Knows accounts, journal entries, postings, holds and balances; knows nothing of loans,
M-Pesa, HTTP, workers or settings. Amounts are integers of minor units. Start at ``Ledger``.
"""

from ledger.accounts import AccountInfo
from ledger.errors import LedgerError
from ledger.service import Ledger
from ledger.types import (
    AccountSpec,
    AccountType,
    Balance,
    Entry,
    EntryKind,
    EntryRequest,
    HoldState,
    PostingLine,
    Side,
)
from ledger.writes import WRITE_GUARD

__all__ = [
    "WRITE_GUARD",
    "AccountInfo",
    "AccountSpec",
    "AccountType",
    "Balance",
    "Entry",
    "EntryKind",
    "EntryRequest",
    "HoldState",
    "Ledger",
    "LedgerError",
    "PostingLine",
    "Side",
]
