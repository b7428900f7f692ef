"""Paying a group loan out: one B2C payout per member with a share, each its own leg.

``pay_out`` runs in the transaction where the payout gate passes (``gates.PayoutGate``): it
makes the ``GroupLoan`` and a leg per member with a share, and a pending payout per leg
through the payments machinery (purpose ``group_loan``, idempotency key
``group-leg:<leg id>:<attempt>``, its own originator id), each with its ledger hold:

    debit 1230 group receivable (the share) / credit the member's float (cash)
    / credit 2130 group savings (5%, the product's ``savings_bp``)

tied to the group, the loan and the member in the entry's metadata.

**A failed leg** (the provider said no, or the payout was cancelled before it left) is tried
again with a new payout (new key, new originator id: the failed one provably paid nothing),
submitted by the payouts sweep ``RETRY_AFTER`` later, up to ``MAX_LEG_ATTEMPTS`` payouts in
all. After the last failure the leg is **held**: the member's share is not lent (nothing of
it is owed), the member and the officials get an SMS. **The group loan is active** when no
leg is still paying: its principal outstanding is what the settled legs received, day 0 is
the business date the last leg settled. Every leg held: the loan is cancelled.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, float_of, fund_accounts
from app.borrowers.service import get_borrower
from app.clock import business_date
from app.groups.account_numbers import group_account_number
from app.groups.loan_models import GroupLoan, GroupLoanStatus, GroupPayoutLeg, LegStatus
from app.groups.membership import get_group, officials
from app.groups.models import GroupApplication, GroupApplicationShare
from app.groups.repayments import close_application, write_group_schedule
from app.lending.quotes import split_disbursement
from app.money import kes
from app.notifications.outbox import queue_sms
from app.payments.models import Payout, PayoutPurpose, PayoutStatus
from app.products.terms import ProductTerms
from app.tasks import refs
from app.tasks.queue import after_commit
from ledger import EntryRequest, Ledger, PostingLine

MAX_LEG_ATTEMPTS = 3
"""Payouts tried for one member's share before it is held."""
RETRY_AFTER = timedelta(minutes=15)
"""How long after a failed leg the sweep sends its next payout."""


def pay_out(
    session: Session, ledger: Ledger, application: GroupApplication, now: datetime
) -> GroupLoan:
    """The group loan of a ``ready_for_payout`` application, its legs and their payouts."""
    shares = session.scalars(
        select(GroupApplicationShare)
        .where(
            GroupApplicationShare.application_id == application.id,
            GroupApplicationShare.amount_minor > 0,
        )
        .order_by(GroupApplicationShare.borrower_id)
    ).all()
    loan = GroupLoan(
        group_id=application.group_id,
        application_id=application.id,
        principal_minor=application.amount_minor,
        principal_pending_minor=0,
        principal_disbursed_minor=0,
        principal_outstanding_minor=0,
        savings_minor=0,
        interest_outstanding_minor=0,
        penalty_outstanding_minor=0,
        penalty_accrued_minor=0,
        days_accrued=0,
        status=GroupLoanStatus.DISBURSING,
        created_at=now,
    )
    session.add(loan)
    session.flush()
    loan.account_number = group_account_number(loan.id)
    terms = ProductTerms.from_snapshot(application.product_terms)
    for share in shares:
        split = split_disbursement(share.amount_minor, terms)
        leg = GroupPayoutLeg(
            group_loan_id=loan.id,
            borrower_id=share.borrower_id,
            principal_minor=share.amount_minor,
            cash_minor=split.cash_minor,
            savings_minor=share.amount_minor - split.cash_minor,
            status=LegStatus.PAYING,
            attempts=0,
            created_at=now,
        )
        session.add(leg)
        session.flush()
        if leg.cash_minor == 0:  # a share too small to send: all of it is saved
            _book_savings_only(session, ledger, loan, leg, now)
        else:
            loan.principal_pending_minor += leg.principal_minor
            _send(session, ledger, loan, leg, now, now)
    session.flush()
    _activate_if_done(session, loan, now, now)
    return loan


def _send(
    session: Session,
    ledger: Ledger,
    loan: GroupLoan,
    leg: GroupPayoutLeg,
    now: datetime,
    send_at: datetime,
) -> Payout:
    """A new pending payout for ``leg`` with its hold; sent now or by the sweep at
    ``send_at``."""
    member = get_borrower(session, leg.borrower_id)
    leg.attempts += 1
    originator_id = uuid.uuid4().hex
    accounts = fund_accounts(ledger)
    lines = [
        PostingLine.debit(accounts[Acct.GROUP_PRINCIPAL], leg.principal_minor),
        PostingLine.credit(accounts[float_of(member.network)], leg.cash_minor),
        PostingLine.credit(accounts[Acct.GROUP_SAVINGS], leg.savings_minor),
    ]
    hold = ledger.hold(
        EntryRequest(
            f"payout:{originator_id}:hold",
            [line for line in lines if line.amount_minor > 0],
            f"Group loan {loan.id}: share of member {member.id}",
            reference=f"group_loan:{loan.id}",
            metadata=_tags(loan, leg) | {"originator_id": originator_id},
        )
    )
    payout = Payout(
        idempotency_key=f"group-leg:{leg.id}:{leg.attempts}",
        originator_id=originator_id,
        purpose=PayoutPurpose.GROUP_LOAN,
        borrower_id=member.id,
        loan_id=None,
        amount_minor=leg.cash_minor,
        network=member.network,
        principal_minor=leg.principal_minor,
        savings_long_minor=0,
        savings_short_minor=0,
        status=PayoutStatus.PENDING,
        hold_entry_id=hold.id,
        attempts=0,
        next_check_at=send_at,
        created_at=now,
    )
    session.add(payout)
    session.flush()
    leg.payout_id = payout.id
    if send_at <= now:
        after_commit(session, refs.SUBMIT_PAYOUT, payout.id)
    return payout


def _tags(loan: GroupLoan, leg: GroupPayoutLeg) -> dict[str, int]:
    return {"group_id": loan.group_id, "group_loan_id": loan.id, "borrower_id": leg.borrower_id}


def _book_savings_only(
    session: Session, ledger: Ledger, loan: GroupLoan, leg: GroupPayoutLeg, now: datetime
) -> None:
    accounts = fund_accounts(ledger)
    ledger.post(
        EntryRequest(
            f"group-leg:{leg.id}:saved",
            [
                PostingLine.debit(accounts[Acct.GROUP_PRINCIPAL], leg.principal_minor),
                PostingLine.credit(accounts[Acct.GROUP_SAVINGS], leg.principal_minor),
            ],
            f"Group loan {loan.id}: share of member {leg.borrower_id} saved",
            reference=f"group_loan:{loan.id}",
            metadata=_tags(loan, leg),
        )
    )
    _settle(session, loan, leg, now)


def _settle(session: Session, loan: GroupLoan, leg: GroupPayoutLeg, now: datetime) -> None:
    loan.principal_disbursed_minor += leg.principal_minor
    loan.principal_outstanding_minor += leg.principal_minor
    loan.savings_minor += leg.savings_minor
    get_group(session, loan.group_id, lock=True).savings_minor += leg.savings_minor
    leg.status, leg.ended_at = LegStatus.SETTLED, now
    session.flush()


def _activate_if_done(
    session: Session, loan: GroupLoan, completed_at: datetime, now: datetime
) -> None:
    paying = session.scalar(
        select(GroupPayoutLeg.id)
        .where(GroupPayoutLeg.group_loan_id == loan.id, GroupPayoutLeg.status == LegStatus.PAYING)
        .limit(1)
    )
    if paying is not None or loan.status != GroupLoanStatus.DISBURSING:
        return
    loan.activated_at = now
    if loan.principal_disbursed_minor == 0:
        loan.status, loan.closed_at = GroupLoanStatus.CANCELLED, now
        close_application(session, loan)
    else:
        loan.status = GroupLoanStatus.ACTIVE
        loan.disbursed_on = business_date(completed_at)
        write_group_schedule(session, loan, loan.disbursed_on)
    session.flush()


def _leg_of(session: Session, payout: Payout) -> tuple[GroupLoan, GroupPayoutLeg]:
    leg = session.scalar(
        select(GroupPayoutLeg).where(GroupPayoutLeg.payout_id == payout.id).with_for_update()
    )
    assert leg is not None, f"payout {payout.id} names no group leg"
    loan = session.get(GroupLoan, leg.group_loan_id, with_for_update=True, populate_existing=True)
    assert loan is not None
    return loan, leg


def on_leg_paid(
    session: Session, ledger: Ledger, payout: Payout, completed_at: datetime, now: datetime
) -> None:
    loan, leg = _leg_of(session, payout)
    loan.principal_pending_minor -= leg.principal_minor
    _settle(session, loan, leg, now)
    queue_sms(
        session,
        leg.borrower_id,
        f"group-paid:{payout.originator_id}",
        f"Mkopo: {kes(leg.cash_minor)} sent to you, your share of your group's loan "
        f"({kes(leg.savings_minor)} to the group's savings). The group repays on the paybill, "
        f"account {loan.account_number}.",
        now,
    )
    _activate_if_done(session, loan, completed_at, now)


def on_leg_failed(session: Session, ledger: Ledger, payout: Payout, now: datetime) -> None:
    loan, leg = _leg_of(session, payout)
    if leg.attempts < MAX_LEG_ATTEMPTS:
        _send(session, ledger, loan, leg, now, now + RETRY_AFTER)
        return
    loan.principal_pending_minor -= leg.principal_minor
    leg.status, leg.ended_at = LegStatus.HELD, now
    session.flush()
    group = get_group(session, loan.group_id)
    told = {leg.borrower_id} | {m.borrower_id for m in officials(session, loan.group_id)}
    for borrower_id in sorted(told):
        queue_sms(
            session,
            borrower_id,
            f"group-leg-held:{leg.id}:{borrower_id}",
            f"Mkopo: we could not send a member's share of {kes(leg.principal_minor)} of "
            f"group {group.name}'s loan after {leg.attempts} tries. That share is not lent "
            "and nothing of it is owed.",
            now,
        )
    _activate_if_done(session, loan, now, now)


class GroupPayouts:
    """The effects of group loan legs' payouts (registered in ``app.payments.purposes``)."""

    purposes = (PayoutPurpose.GROUP_LOAN,)

    def still_payable(self, session: Session, payout: Payout) -> str | None:
        return None  # a member's share, once approved by the group, is always sent

    def succeeded(
        self,
        session: Session,
        ledger: Ledger,
        payout: Payout,
        completed_at: datetime,
        now: datetime,
    ) -> None:
        on_leg_paid(session, ledger, payout, completed_at, now)

    def failed(self, session: Session, payout: Payout, now: datetime) -> None:
        # The hook has no ledger (a failure posts nothing); the retry's hold needs one.
        on_leg_failed(session, Ledger(session, lambda: now), payout, now)
