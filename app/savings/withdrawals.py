"""Money out of savings and credit balances: requests (a ledger hold and a pending payout)
and the effects of the payout's outcome.

The borrower's row shows what is available: the amount is taken off when requested and given
back if the payout fails, so two withdrawals can never spend the same shilling (the row is
locked, and its balance columns are CHECKed non-negative).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, float_of, fund_accounts
from app.borrowers.service import get_borrower
from app.lending.errors import InvalidAmount, NotWholeShillings, RequestKeyReused
from app.lending.loans import any_open_loan_id
from app.money import kes
from app.notifications.outbox import queue_sms
from app.payments.models import Payout, PayoutPurpose, PayoutStatus
from app.savings import errors
from app.tasks import refs
from app.tasks.queue import after_commit
from integrations.payments.networks import wallet_name
from ledger import EntryRequest, Ledger, PostingLine

MIN_PAYOUT_MINOR = 10 * 100  # M-Pesa B2C sends at least KES 10
_SOURCE = {  # the liability each kind of payout is paid out of
    PayoutPurpose.SAVINGS_WITHDRAWAL: Acct.SAVINGS_SHORT,
    PayoutPurpose.REFUND: Acct.CREDIT_BALANCES,
}


@dataclass(frozen=True, slots=True)
class PayoutRequest:
    """A borrower asking for ``amount_minor`` to their mobile money, once per ``key``."""

    borrower_id: int
    amount_minor: int
    key: str


def request_savings_withdrawal(
    session: Session, ledger: Ledger, borrower_id: int, amount_minor: int, key: str, now: datetime
) -> Payout:
    """Withdraw short-term savings to mobile money (no open loan, nothing held)."""
    # The lock first: a same-key request still running is waited for, then replayed.
    borrower = get_borrower(session, borrower_id, lock=True)
    asked = PayoutRequest(borrower_id, amount_minor, key)
    replay = _replay(session, asked)
    if replay is not None:
        return replay
    _check_amount(amount_minor)
    if any_open_loan_id(session, borrower_id) is not None:
        raise errors.LoanOpen("Short-term savings can be withdrawn once your loan is repaid")
    if borrower.savings_short_held_minor > 0:
        raise errors.SavingsHeld("Your short-term savings are held against a defaulted loan")
    if amount_minor > borrower.savings_short_minor:
        raise errors.InsufficientSavings(
            f"You can withdraw up to {kes(borrower.savings_short_minor)}"
        )
    borrower.savings_short_minor -= amount_minor
    return _payout(session, ledger, PayoutPurpose.SAVINGS_WITHDRAWAL, asked, borrower.network, now)


def request_refund(
    session: Session, ledger: Ledger, borrower_id: int, amount_minor: int, key: str, now: datetime
) -> Payout:
    """Pay a borrower's credit balance (overpayments) back to their mobile money."""
    borrower = get_borrower(session, borrower_id, lock=True)  # first: as for withdrawals
    asked = PayoutRequest(borrower_id, amount_minor, key)
    replay = _replay(session, asked)
    if replay is not None:
        return replay
    _check_amount(amount_minor)
    if amount_minor > borrower.credit_balance_minor:
        raise errors.InsufficientSavings(
            f"The credit balance is {kes(borrower.credit_balance_minor)}"
        )
    borrower.credit_balance_minor -= amount_minor
    return _payout(session, ledger, PayoutPurpose.REFUND, asked, borrower.network, now)


def _check_amount(amount_minor: int) -> None:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidAmount("Give a positive amount")
    if amount_minor % 100:
        raise NotWholeShillings("Withdraw whole shillings")
    if amount_minor < MIN_PAYOUT_MINOR:
        raise errors.BelowPayoutMinimum(f"The least that can be sent is {kes(MIN_PAYOUT_MINOR)}")


def _replay(session: Session, asked: PayoutRequest) -> Payout | None:
    payout = session.scalar(select(Payout).where(Payout.idempotency_key == asked.key))
    if payout is not None and (
        payout.borrower_id != asked.borrower_id or payout.amount_minor != asked.amount_minor
    ):
        raise RequestKeyReused("This request key was used for another request")
    return payout


def _payout(
    session: Session,
    ledger: Ledger,
    purpose: PayoutPurpose,
    asked: PayoutRequest,
    network: str,
    now: datetime,
) -> Payout:
    borrower_id, amount_minor = asked.borrower_id, asked.amount_minor
    accounts = fund_accounts(ledger)
    originator_id = uuid.uuid4().hex
    hold = ledger.hold(
        EntryRequest(
            f"payout:{originator_id}:hold",
            [
                PostingLine.debit(accounts[_SOURCE[purpose]], amount_minor),
                PostingLine.credit(accounts[float_of(network)], amount_minor),
            ],
            f"{purpose.value.replace('_', ' ').capitalize()}",
            reference=f"borrower:{borrower_id}",
            metadata={"borrower_id": borrower_id, "originator_id": originator_id},
        )
    )
    payout = Payout(
        idempotency_key=asked.key,
        originator_id=originator_id,
        purpose=purpose,
        borrower_id=borrower_id,
        loan_id=None,
        amount_minor=amount_minor,
        network=network,
        principal_minor=0,
        savings_long_minor=0,
        savings_short_minor=0,
        status=PayoutStatus.PENDING,
        hold_entry_id=hold.id,
        attempts=0,
        next_check_at=now,
        created_at=now,
    )
    session.add(payout)
    session.flush()
    after_commit(session, refs.SUBMIT_PAYOUT, payout.id)
    return payout


def on_withdrawn(session: Session, payout: Payout, now: datetime) -> None:
    queue_sms(
        session,
        payout.borrower_id,
        f"withdrawn:{payout.originator_id}",
        f"Mkopo: {kes(payout.amount_minor)} from your savings was sent to your "
        f"{wallet_name(payout.network)}.",
        now,
    )


def on_refunded(session: Session, payout: Payout, now: datetime) -> None:
    queue_sms(
        session,
        payout.borrower_id,
        f"refunded:{payout.originator_id}",
        f"Mkopo: your credit balance of {kes(payout.amount_minor)} was sent to your "
        f"{wallet_name(payout.network)}.",
        now,
    )


def on_withdrawal_failed(session: Session, payout: Payout, now: datetime) -> None:
    """Give the reserved amount back to where it came from."""
    borrower = get_borrower(session, payout.borrower_id, lock=True)
    if payout.purpose == PayoutPurpose.SAVINGS_WITHDRAWAL:
        borrower.savings_short_minor += payout.amount_minor
    else:
        borrower.credit_balance_minor += payout.amount_minor
    session.flush()
    queue_sms(
        session,
        payout.borrower_id,
        f"payout-failed:{payout.originator_id}",
        f"Mkopo: we could not send {kes(payout.amount_minor)}; it is back in your account.",
        now,
    )


class SavingsPayouts:
    """The effects of savings withdrawals and credit-balance refunds (registered in
    ``app.payments.purposes``)."""

    purposes = (PayoutPurpose.SAVINGS_WITHDRAWAL, PayoutPurpose.REFUND)

    def still_payable(self, session: Session, payout: Payout) -> str | None:
        return None  # the money was taken off the borrower's balance when they asked

    def succeeded(
        self,
        session: Session,
        ledger: Ledger,
        payout: Payout,
        completed_at: datetime,
        now: datetime,
    ) -> None:
        if payout.purpose == PayoutPurpose.SAVINGS_WITHDRAWAL:
            on_withdrawn(session, payout, now)
        else:
            on_refunded(session, payout, now)

    def failed(self, session: Session, payout: Payout, now: datetime) -> None:
        on_withdrawal_failed(session, payout, now)
