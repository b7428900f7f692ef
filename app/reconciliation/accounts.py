"""Ledger accounts that only reconciliation resolutions post to, opened on first use.

The provider's charges, the fund's bank account (settlements leave the float for it) and the
account that absorbs a difference written off. They stay out of ``app.accounting.chart``
because nothing else posts to them; ``open_account`` is idempotent, so the first resolution
that needs one opens it.
"""

from __future__ import annotations

import enum

from ledger import AccountSpec, AccountType, Ledger


class ReconAcct(enum.StrEnum):
    BANK = "1020"
    PROVIDER_CHARGES = "5200"
    DIFFERENCES = "5210"


SPECS = {
    ReconAcct.BANK: AccountSpec(ReconAcct.BANK, "Bank - settlement account", AccountType.ASSET),
    ReconAcct.PROVIDER_CHARGES: AccountSpec(
        ReconAcct.PROVIDER_CHARGES, "M-Pesa transaction charges", AccountType.EXPENSE
    ),
    ReconAcct.DIFFERENCES: AccountSpec(
        ReconAcct.DIFFERENCES, "Reconciliation differences written off", AccountType.EXPENSE
    ),
}


def recon_account(ledger: Ledger, code: ReconAcct) -> int:
    return ledger.open_account(SPECS[code]).id
