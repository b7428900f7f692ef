"""Voluntary savings deposits (from mobile money), split 70/30 like the withholding, and the
policy that applies held short-term savings to a defaulted debt."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.accounting.chart import Acct, fund_accounts
from app.borrowers.service import get_borrower
from app.lending.errors import InvalidAmount, LoanNotFound
from app.lending.models import Loan, LoanStatus, Repayment, RepaymentChannel
from app.lending.repayments import IncomingRepayment, apply_repayment
from app.money import share_of
from app.savings import errors
from ledger import EntryRequest, Ledger, PostingLine

LONG_TERM_SHARE_BP = 7_000


@dataclass(frozen=True, slots=True)
class IncomingDeposit:
    """Money a borrower sent to their savings."""

    borrower_id: int
    amount_minor: int
    key: str
    """Idempotency key: the same key is credited once."""
    received_at: datetime
    receipt: str | None = None


def deposit(session: Session, ledger: Ledger, incoming: IncomingDeposit) -> int:
    """Credit a voluntary deposit: 70% long-term, 30% short-term. Returns the entry id."""
    borrower_id, amount_minor, receipt = (
        incoming.borrower_id,
        incoming.amount_minor,
        incoming.receipt,
    )
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidAmount("A deposit is a positive number of cents")
    accounts = fund_accounts(ledger)
    long_term = share_of(amount_minor, LONG_TERM_SHARE_BP)
    lines = [
        PostingLine.debit(accounts[Acct.FLOAT], amount_minor),
        PostingLine.credit(accounts[Acct.SAVINGS_LONG], long_term),
        PostingLine.credit(accounts[Acct.SAVINGS_SHORT], amount_minor - long_term),
    ]
    entry = ledger.post(
        EntryRequest(
            f"deposit:{incoming.key}",
            [line for line in lines if line.amount_minor],
            "Voluntary savings deposit",
            reference=f"borrower:{borrower_id}",
            metadata={"borrower_id": borrower_id, **({"receipt": receipt} if receipt else {})},
            effective_at=incoming.received_at,
        )
    )
    if not entry.replayed:
        borrower = get_borrower(session, borrower_id, lock=True)
        borrower.savings_long_minor += long_term
        borrower.savings_short_minor += amount_minor - long_term
        session.flush()
    return entry.id


def apply_held_savings(
    session: Session, ledger: Ledger, loan_id: int, decided_by: str, now: datetime
) -> Repayment | None:
    """Policy: use the borrower's held short-term savings against their defaulted loan."""
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise LoanNotFound(f"No loan {loan_id}")
    if loan.status != LoanStatus.DEFAULTED:
        raise errors.NotDefaulted("Held savings are applied only to a loan in default")
    borrower = get_borrower(session, loan.borrower_id)
    amount = min(
        borrower.savings_short_held_minor, borrower.savings_short_minor, loan.outstanding_minor
    )
    if amount <= 0:
        return None
    # Applying is idempotent by state: the held amount it consumes is gone afterwards.
    key = f"held-savings:{loan_id}:{uuid.uuid4().hex}"
    return apply_repayment(
        session,
        ledger,
        IncomingRepayment(
            loan_id,
            amount,
            key,
            RepaymentChannel.SAVINGS,
            now,
            receipt=None,
            decided_by=decided_by,
        ),
        now,
    )
