"""A loan paid out in one payout or several (legs): the ledger hold and the pending payout of
each part, and the plan of a loan's legs.

M-Pesa B2C sends at most ``LEG_MAX_MINOR`` (KES 250,000) per payment, so a loan whose cash
is larger is sent in legs under one loan: ``plan_legs`` splits the cash into the fewest legs
of at most that much, as even as whole shillings allow (the first legs take the odd
shillings); the savings withheld ride on the first leg. Each leg is its own payout with its
own idempotency key (``<key>:leg-<n>``), originator id and hold, so each is sent, retried
(under the same originator id, by the payout sweep) and settled on its own. The loan waits in
``disbursing`` until no leg is in flight (``app.lending.disbursements``). Nothing here is
particular to SME loans: any loan (a group's) can be paid out so.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.accounting.chart import Acct, float_of, fund_accounts
from app.borrowers.models import Borrower
from app.lending.models import Loan
from app.lending.quotes import Split
from app.money import SHILLING
from app.payments.models import Payout, PayoutPurpose, PayoutStatus
from app.tasks import refs
from app.tasks.queue import after_commit
from ledger import EntryRequest, Ledger, PostingLine

LEG_MAX_MINOR = 250_000 * SHILLING
"""The most M-Pesa B2C sends in one payment."""


@dataclass(frozen=True, slots=True)
class PayoutPart:
    """What one payout of a loan lends: principal = cash + savings withheld."""

    principal_minor: int
    cash_minor: int
    savings_long_minor: int = 0
    savings_short_minor: int = 0


def plan_legs(split: Split, most_minor: int = LEG_MAX_MINOR) -> list[PayoutPart]:
    """The legs of a disbursement whose cash and savings are ``split``."""
    shillings = split.cash_minor // SHILLING
    count = max(1, -(-split.cash_minor // most_minor))
    each, odd = divmod(shillings, count)
    legs = []
    for n in range(count):
        cash = (each + (1 if n < odd else 0)) * SHILLING
        long_, short = (split.savings_long_minor, split.savings_short_minor) if n == 0 else (0, 0)
        legs.append(PayoutPart(cash + long_ + short, cash, long_, short))
    return legs


@dataclass(frozen=True, slots=True)
class PartOrder:
    """A part to pay out, under the requester's key, for a new loan or a top-up."""

    part: PayoutPart
    idempotency_key: str
    purpose: PayoutPurpose = PayoutPurpose.LOAN


def hold_and_queue(
    session: Session, ledger: Ledger, loan: Loan, order: PartOrder, now: datetime
) -> Payout:
    """Hold the part's principal, cash and savings in the ledger and record its pending
    payout to the loan's borrower, sent after commit (``app.payments.payouts``)."""
    part = order.part
    borrower = session.get(Borrower, loan.borrower_id)
    assert borrower is not None
    originator_id = uuid.uuid4().hex
    accounts = fund_accounts(ledger)
    lines = [
        PostingLine.debit(accounts[Acct.PRINCIPAL], part.principal_minor),
        PostingLine.credit(accounts[float_of(borrower.network)], part.cash_minor),
        PostingLine.credit(accounts[Acct.SAVINGS_LONG], part.savings_long_minor),
        PostingLine.credit(accounts[Acct.SAVINGS_SHORT], part.savings_short_minor),
    ]
    hold = ledger.hold(
        EntryRequest(
            f"payout:{originator_id}:hold",
            [line for line in lines if line.amount_minor > 0],
            f"Disbursement of loan {loan.account_number}",
            reference=f"loan:{loan.id}",
            metadata={
                "loan_id": loan.id,
                "borrower_id": borrower.id,
                "originator_id": originator_id,
            },
        )
    )
    payout = Payout(
        idempotency_key=order.idempotency_key,
        originator_id=originator_id,
        purpose=order.purpose,
        borrower_id=borrower.id,
        loan_id=loan.id,
        amount_minor=part.cash_minor,
        network=borrower.network,
        principal_minor=part.principal_minor,
        savings_long_minor=part.savings_long_minor,
        savings_short_minor=part.savings_short_minor,
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


def pay_out_in_legs(
    session: Session, ledger: Ledger, loan: Loan, split: Split, key: str, now: datetime
) -> list[Payout]:
    """Pay a new loan's principal out in legs (one leg when it fits in one payment)."""
    legs = plan_legs(split)
    loan.principal_pending_minor += sum(leg.principal_minor for leg in legs)
    return [
        hold_and_queue(session, ledger, loan, PartOrder(leg, f"{key}:leg-{n}"), now)
        for n, leg in enumerate(legs, start=1)
    ]
