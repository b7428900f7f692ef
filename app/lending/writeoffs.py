"""Writing off a defaulted loan: its receivables become a loan loss in one entry.

The borrower stays frozen: the debt is out of the books, not forgiven. (Recoveries on a
written-off loan are not modelled yet: a later payment goes to the borrower's credit balance.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, fund_accounts
from app.errors import DomainError
from app.lending import errors
from app.lending.models import InstalmentStatus, Loan, LoanInstalment, LoanStatus
from ledger import EntryRequest, Ledger, PostingLine


class NotWriteOffable(DomainError, code="not_write_offable", http_status=409): ...


def write_off(
    session: Session, ledger: Ledger, loan_id: int, reason: str, decided_by: str, now: datetime
) -> Loan:
    loan = session.get(Loan, loan_id, with_for_update=True, populate_existing=True)
    if loan is None:
        raise errors.LoanNotFound(f"No loan {loan_id}")
    if loan.status != LoanStatus.DEFAULTED:
        raise NotWriteOffable("Only a loan in default can be written off")
    accounts = fund_accounts(ledger)
    parts = [
        (Acct.PRINCIPAL, loan.principal_outstanding_minor),
        (Acct.INTEREST, loan.interest_outstanding_minor),
        (Acct.PENALTY, loan.penalty_outstanding_minor),
    ]
    total = sum(amount for _, amount in parts)
    if total:
        ledger.post(
            EntryRequest(
                f"write-off:{loan.id}",
                [PostingLine.debit(accounts[Acct.LOAN_LOSSES], total)]
                + [PostingLine.credit(accounts[code], amount) for code, amount in parts if amount],
                f"Write-off of loan {loan.account_number}: {reason[:200]}",
                reference=f"loan:{loan.id}",
                metadata={
                    "loan_id": loan.id,
                    "borrower_id": loan.borrower_id,
                    "decided_by": decided_by,
                },
            )
        )
    _end_open_instalments(session, loan.id)
    loan.written_off_minor = total
    loan.principal_outstanding_minor = 0
    loan.interest_outstanding_minor = 0
    loan.penalty_outstanding_minor = 0
    loan.status = LoanStatus.WRITTEN_OFF
    loan.closed_at = now
    session.flush()
    return loan


def _end_open_instalments(session: Session, loan_id: int) -> None:
    """An instalment loan's open instalments end written off, before the loan is (the
    database refuses an open instalment on a written-off loan)."""
    session.execute(
        update(LoanInstalment)
        .where(LoanInstalment.loan_id == loan_id, LoanInstalment.status == InstalmentStatus.OPEN)
        .values(status=InstalmentStatus.WRITTEN_OFF)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
