"""Applying a repayment: allocate it, move the ledger and the loan together, close the loan
when nothing is owed any more.

One repayment, one balanced entry: debit where the money came from (the float of the
provider it came through, the borrower's credit balance, or their short-term savings),
credit penalty, interest and principal receivable as allocated, and any overpayment to the
borrower's credit balance — never lost. Idempotent by key (``mpesa:<receipt>``,
``airtel:<airtel_money_id>``): a payment is applied once.

Full repayment closes the loan, unfreezes the borrower, releases the savings lien, and if it
came by the due date counts as on time and steps the limit up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, float_of, fund_accounts
from app.borrowers.models import DEFAULT_FREEZE, Borrower
from app.borrowers.service import get_borrower
from app.clock import business_date
from app.events import publish
from app.lending import errors
from app.lending.allocation import Allocation, allocate
from app.lending.events import LoanRepaid
from app.lending.instalments import (
    allocate_to_instalments,
    is_instalment_loan,
    recognise_due_interest,
)
from app.lending.limit_decisions import LimitChange, record_limit
from app.lending.limits import LimitPolicy
from app.lending.models import OPEN_STATUSES, Loan, LoanStatus, Repayment, RepaymentChannel
from app.lending.settlement import settle_interest, settlement_quote
from app.money import kes
from app.notifications.outbox import queue_sms
from integrations.payments.networks import Network
from ledger import EntryRequest, Ledger, PostingLine

DEFAULT_POLICY = LimitPolicy()
_FROM_A_WALLET = (RepaymentChannel.STK, RepaymentChannel.C2B)
"""Channels whose money lands on the float of the provider it came through."""
_SOURCE = {
    RepaymentChannel.CREDIT_BALANCE: Acct.CREDIT_BALANCES,
    RepaymentChannel.SAVINGS: Acct.SAVINGS_SHORT,
}


@dataclass(frozen=True, slots=True)
class IncomingRepayment:
    """Money arriving for a loan, as the channel that carried it reports it."""

    loan_id: int
    amount_minor: int
    key: str
    """Idempotency key, e.g. ``mpesa:<receipt>``: the same key is applied once."""
    channel: RepaymentChannel
    received_at: datetime
    """When the money arrived: the entry's effective time, and what decides "on time"."""
    receipt: str | None = None
    """The provider's receipt, kept on the repayment and in the entry's metadata."""
    decided_by: str | None = None
    """The staff member when a policy (not the borrower) moved the money."""
    network: str = Network.SAFARICOM
    """The network whose provider carried the money (STK/USSD push, paybill): its float is
    debited. The provider it came through, not the borrower's: a repayment may arrive on
    either."""


def apply_repayment(
    session: Session,
    ledger: Ledger,
    incoming: IncomingRepayment,
    now: datetime,
    policy: LimitPolicy = DEFAULT_POLICY,
) -> Repayment:
    """Apply ``incoming`` to its loan; ``decided_by``, when set, is kept in the ledger entry's
    metadata."""
    loan_id, amount_minor, key = incoming.loan_id, incoming.amount_minor, incoming.key
    channel, received_at = incoming.channel, incoming.received_at
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise errors.InvalidAmount("A repayment is a positive number of cents")
    existing = session.scalar(select(Repayment).where(Repayment.idempotency_key == key))
    if existing is not None:
        if existing.amount_minor != amount_minor or existing.loan_id != loan_id:
            raise errors.RequestKeyReused(f"Repayment {key} was applied with other details")
        return existing
    loan = session.get(Loan, loan_id, with_for_update=True, populate_existing=True)
    if loan is None:
        raise errors.LoanNotFound(f"No loan {loan_id}")
    borrower = get_borrower(session, loan.borrower_id, lock=True)
    open_loan = loan.status in OPEN_STATUSES
    split = (
        _allocate(session, ledger, loan, incoming) if open_loan else allocate(amount_minor, (), {})
    )
    entry = _post(ledger, loan, borrower, split, incoming)
    loan.penalty_outstanding_minor -= split.penalty_minor
    loan.interest_outstanding_minor -= split.interest_minor
    loan.principal_outstanding_minor -= split.principal_minor
    borrower.credit_balance_minor += split.overpayment_minor
    if channel == RepaymentChannel.CREDIT_BALANCE:
        borrower.credit_balance_minor -= amount_minor
    elif channel == RepaymentChannel.SAVINGS:
        borrower.savings_short_minor -= amount_minor
        borrower.savings_short_held_minor = max(borrower.savings_short_held_minor - amount_minor, 0)
    repayment = Repayment(
        idempotency_key=key,
        loan_id=loan.id,
        borrower_id=borrower.id,
        channel=channel,
        provider_receipt=incoming.receipt,
        amount_minor=amount_minor,
        penalty_minor=split.penalty_minor,
        interest_minor=split.interest_minor,
        principal_minor=split.principal_minor,
        overpayment_minor=split.overpayment_minor,
        entry_id=entry,
        received_at=received_at,
    )
    session.add(repayment)
    if open_loan:
        close_if_settled(session, loan, borrower, received_at, now, policy)
    session.flush()
    if channel in (RepaymentChannel.STK, RepaymentChannel.C2B):
        queue_sms(
            session,
            borrower.id,
            f"repaid:{key}",
            f"Mkopo: received {kes(amount_minor)} for loan {loan.account_number}. "
            f"Balance {kes(loan.outstanding_minor)}.",
            now,
        )
    return repayment


def _allocate(
    session: Session, ledger: Ledger, loan: Loan, incoming: IncomingRepayment
) -> Allocation:
    """Split the payment over an open loan's debt: an instalment loan's instalments (after
    recognising the interest of those due, and settling it when the payment reaches the
    principal: paying the principal off charges the interest accrued to date), or a bullet
    loan's parts."""
    order = loan.product_terms["allocation_order"]
    if is_instalment_loan(loan):
        recognise_due_interest(session, ledger, loan, incoming.received_at)
        paid_on = business_date(incoming.received_at)
        settles = settlement_quote(session, loan, paid_on)
        if incoming.amount_minor >= settles.total_minor - settles.interest_accrued_minor:
            settle_interest(session, ledger, loan, settles, incoming.key, incoming.received_at)
        return allocate_to_instalments(session, loan, incoming.amount_minor, order, paid_on)
    owed = {
        "penalty": loan.penalty_outstanding_minor,
        "interest": loan.interest_outstanding_minor,
        "principal": loan.principal_outstanding_minor,
    }
    return allocate(incoming.amount_minor, order, owed)


def _post(
    ledger: Ledger, loan: Loan, borrower: Borrower, split: Allocation, incoming: IncomingRepayment
) -> int:
    channel, receipt, decided_by = incoming.channel, incoming.receipt, incoming.decided_by
    accounts = fund_accounts(ledger)
    credits = [
        (Acct.PENALTY, split.penalty_minor),
        (Acct.INTEREST, split.interest_minor),
        (Acct.PRINCIPAL, split.principal_minor),
        (Acct.CREDIT_BALANCES, split.overpayment_minor),
    ]
    source = float_of(incoming.network) if channel in _FROM_A_WALLET else _SOURCE[channel]
    lines = [PostingLine.debit(accounts[source], split.total_minor)]
    lines += [PostingLine.credit(accounts[code], amount) for code, amount in credits if amount]
    metadata: dict[str, object] = {
        "loan_id": loan.id,
        "borrower_id": borrower.id,
        "channel": channel.value,
    }
    if receipt:
        metadata["receipt"] = receipt
    if decided_by:
        metadata["decided_by"] = decided_by
    entry = ledger.post(
        EntryRequest(
            f"repayment:{incoming.key}",
            lines,
            f"Repayment of loan {loan.account_number} ({channel.value})",
            reference=f"loan:{loan.id}",
            metadata=metadata,
            effective_at=incoming.received_at,
        )
    )
    return entry.id


def close_if_settled(
    session: Session,
    loan: Loan,
    borrower: Borrower,
    settled_at: datetime,
    now: datetime,
    policy: LimitPolicy = DEFAULT_POLICY,
) -> bool:
    """Close an open loan that owes nothing and has nothing in flight: repaid in full.

    Called after a repayment, and after a top-up bounces (the loan may have been repaid
    while the top-up was on its way). ``settled_at`` decides whether it was on time.
    """
    if loan.status not in (LoanStatus.ACTIVE, LoanStatus.DEFAULTED):
        return False
    if loan.outstanding_minor or loan.principal_pending_minor:
        return False
    _close(session, loan, borrower, settled_at, now, policy)
    return True


def _close(
    session: Session,
    loan: Loan,
    borrower: Borrower,
    received_at: datetime,
    now: datetime,
    policy: LimitPolicy,
) -> None:
    loan.status = LoanStatus.REPAID
    loan.closed_at = now
    if borrower.frozen_reason == DEFAULT_FREEZE:  # a freeze put on by staff stays until lifted
        borrower.frozen_at = None
        borrower.frozen_reason = None
    borrower.savings_short_held_minor = 0
    publish(session, LoanRepaid(borrower, loan.id, now))
    on_time = loan.due_on is not None and business_date(received_at) <= loan.due_on
    if on_time and loan.defaulted_at is None:
        borrower.loans_repaid_on_time += 1
        raised = policy.after_on_time_repayment(
            borrower.credit_limit_minor, borrower.loans_repaid_on_time
        )
        if raised != borrower.credit_limit_minor:
            facts = {"loans_repaid_on_time": borrower.loans_repaid_on_time, "loan_id": loan.id}
            change = LimitChange(raised, "step_up", facts, band=borrower.score_band)
            record_limit(session, borrower, change, now)


def apply_credit_balance(
    session: Session, ledger: Ledger, loan: Loan, borrower: Borrower, now: datetime
) -> Repayment | None:
    """Use the borrower's credit balance (earlier overpayments) against this loan."""
    amount = min(borrower.credit_balance_minor, loan.outstanding_minor)
    if amount <= 0:
        return None
    incoming = IncomingRepayment(
        loan.id, amount, f"credit-balance:{uuid.uuid4().hex}", RepaymentChannel.CREDIT_BALANCE, now
    )
    return apply_repayment(session, ledger, incoming, now)
