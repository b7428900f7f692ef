"""Proof that the lending subledger and the ledger's control accounts agree.

For each control account, the sum over loans (or borrowers) of the figure the product
screens show must equal the ledger balance. Receivables, savings and credit balances
compare with the ledger's *available* balance: money reserved by an in-flight payout is
already off the borrower's row. Suspense holds the open unmatched receipts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, fund_accounts
from app.borrowers.models import Borrower
from app.groups.loan_models import GroupLoan
from app.groups.models import Group
from app.lending.models import Loan
from app.mpesa.models import CollectionReversal, UnmatchedReceipt
from ledger import Ledger

RECEIVABLES = (
    Acct.PRINCIPAL,
    Acct.INTEREST,
    Acct.PENALTY,
    Acct.GROUP_PRINCIPAL,
    Acct.GROUP_INTEREST,
    Acct.GROUP_PENALTY,
)


@dataclass(frozen=True, slots=True)
class ControlCheck:
    account: Acct
    subledger_minor: int
    ledger_minor: int

    @property
    def agrees(self) -> bool:
        return self.subledger_minor == self.ledger_minor


def check_subledger(session: Session, ledger: Ledger) -> list[ControlCheck]:
    accounts = fund_accounts(ledger)

    def total(column: object, *where: Any) -> int:
        query = select(func.coalesce(func.sum(column), 0)).where(*where)
        return int(session.scalar(query) or 0)

    # Suspense holds the open unmatched receipts, less those on their way back to the payer.
    in_suspense = total(UnmatchedReceipt.amount_minor, UnmatchedReceipt.status == "open") - total(
        CollectionReversal.amount_minor, CollectionReversal.status.in_(("approved", "submitted"))
    )

    pairs = [
        (Acct.PRINCIPAL, total(Loan.principal_outstanding_minor)),
        (Acct.INTEREST, total(Loan.interest_outstanding_minor)),
        (Acct.PENALTY, total(Loan.penalty_outstanding_minor)),
        (Acct.SAVINGS_LONG, total(Borrower.savings_long_minor)),
        (Acct.SAVINGS_SHORT, total(Borrower.savings_short_minor)),
        (Acct.CREDIT_BALANCES, total(Borrower.credit_balance_minor)),
        (Acct.SUSPENSE, in_suspense),
        (Acct.GROUP_PRINCIPAL, total(GroupLoan.principal_outstanding_minor)),
        (Acct.GROUP_INTEREST, total(GroupLoan.interest_outstanding_minor)),
        (Acct.GROUP_PENALTY, total(GroupLoan.penalty_outstanding_minor)),
        (Acct.GROUP_SAVINGS, total(Group.savings_minor)),
    ]
    checks = []
    for code, subledger in pairs:
        balance = ledger.balance(accounts[code])
        # Receivables count only posted principal (in-flight principal is pending, not lent);
        # liabilities count what is available (pending payouts already left the borrower row).
        figure = balance.posted_minor if code in RECEIVABLES else balance.available_minor
        checks.append(ControlCheck(code, subledger, figure))
    return checks
