"""The group owes its loan: the schedule, and any member's payment against it.

- **The schedule** is written when the loan becomes active (``write_group_schedule``): the
  instalment engine's quote of the principal paid out, from day 0, in the schedule the
  application chose (``schedule_quotes.quote_schedule``: 6 monthly instalments, or the lump
  sum), one ``group_loan_instalments`` row each.
- **A payment** (``repay``) by any active member of the group, on the paybill with the loan's
  ``MG...`` account number: first the interest of the instalments fallen due is recognised
  (Dr 1240 / Cr 4000, as individual instalment loans do at a repayment that comes first);
  then the amount is allocated by the instalment engine's rule
  (``instalment_allocation.allocate_across``: due instalments oldest first, then principal
  from the last instalment back); what is left beyond the whole debt is the payer's credit
  balance. The entry: Dr the float of the payer's network; Cr 1240 interest, Cr 1230
  principal, Cr 2200 the overpayment, tied to the group, the loan and the member.
- Every payment is a row of the group's **contribution ledger** (``group_contributions``),
  keyed by its idempotency key (``mpesa:<receipt>``): one payment, one contribution.
- Nothing left owed (principal, interest recognised, penalty): the loan is ``repaid``; a loan
  repaid early never owes the interest of instalments not yet due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, float_of, fund_accounts
from app.borrowers.service import get_borrower
from app.clock import business_date
from app.groups import arrears, errors
from app.groups.loan_models import (
    OPEN_GROUP_LOAN_STATUSES,
    GroupContribution,
    GroupLoan,
    GroupLoanInstalment,
    GroupLoanStatus,
)
from app.groups.membership import live_membership
from app.groups.models import ApplicationStatus, GroupApplication, MemberStatus, Schedule
from app.groups.schedule_quotes import quote_schedule
from app.lending.allocation import Allocation
from app.lending.instalments import InterestOwner, post_interest_fallen_due, spread_over
from app.money import kes
from app.notifications.outbox import queue_sms
from app.products.terms import ProductTerms
from ledger import EntryRequest, Ledger, PostingLine

OPEN, PAID = "open", "paid"


def write_group_schedule(session: Session, loan: GroupLoan, day_0: date) -> None:
    application = session.get(GroupApplication, loan.application_id)
    assert application is not None
    terms = ProductTerms.from_snapshot(application.product_terms)
    schedule = quote_schedule(
        terms, loan.principal_outstanding_minor, Schedule(application.schedule), day_0
    )
    rows = [
        GroupLoanInstalment(
            group_loan_id=loan.id,
            number=item.number,
            due_on=item.due_date,
            principal_minor=item.principal_minor,
            interest_minor=item.interest_minor,
            interest_recognised_minor=0,
            paid_principal_minor=0,
            paid_interest_minor=0,
            penalty_minor=0,
            paid_penalty_minor=0,
            penalty_carry_units=0,
            status=PAID if item.principal_minor == item.interest_minor == 0 else OPEN,
        )
        for item in schedule.instalments
    ]
    assert sum(row.principal_minor for row in rows) == loan.principal_outstanding_minor
    session.add_all(rows)
    session.flush()


def close_application(session: Session, loan: GroupLoan) -> None:
    """The loan is over: its application no longer holds the group (``loan_closed``)."""
    application = session.get(GroupApplication, loan.application_id, with_for_update=True)
    assert application is not None
    application.status = ApplicationStatus.LOAN_CLOSED
    session.flush()


def schedule_of(session: Session, group_loan_id: int) -> list[GroupLoanInstalment]:
    return list(
        session.scalars(
            select(GroupLoanInstalment)
            .where(GroupLoanInstalment.group_loan_id == group_loan_id)
            .order_by(GroupLoanInstalment.number)
        )
    )


@dataclass(frozen=True, slots=True)
class GroupPayment:
    group_loan_id: int
    borrower_id: int
    """The member who paid."""
    amount_minor: int
    idempotency_key: str
    channel: str
    """``c2b`` (paybill) or ``stk``."""
    received_at: datetime
    receipt: str | None = None
    network: str = "safaricom"
    """Whose float the money landed in (the paybill's provider)."""


def repay(
    session: Session, ledger: Ledger, payment: GroupPayment, now: datetime
) -> GroupContribution:
    """Apply one member's payment to the group's loan; a replayed key returns the first."""
    loan = session.get(GroupLoan, payment.group_loan_id, with_for_update=True)
    if loan is None:
        raise errors.GroupLoanNotFound(f"No group loan {payment.group_loan_id}")
    replay = session.scalar(
        select(GroupContribution).where(
            GroupContribution.idempotency_key == payment.idempotency_key
        )
    )
    if replay is not None:
        return replay
    if loan.status not in OPEN_GROUP_LOAN_STATUSES:
        raise errors.GroupLoanNotOpen(f"Group loan {loan.account_number} is {loan.status}")
    membership = live_membership(session, loan.group_id, payment.borrower_id)
    if membership is None or membership.status != MemberStatus.ACTIVE:
        raise errors.NotAMember("Only the group's members pay its loan")
    if payment.amount_minor <= 0:
        raise errors.GroupPaymentInvalid("A payment must be more than nothing")
    payer = get_borrower(session, payment.borrower_id, lock=True)
    rows = schedule_of(session, loan.id)
    today = business_date(payment.received_at)
    recognise_due_interest(ledger, loan, rows, today, payment.received_at)
    terms = terms_of(session, loan)
    totals = spread_over(rows, payment.amount_minor, terms.allocation_order, today)
    loan.principal_outstanding_minor -= totals.principal_minor
    loan.interest_outstanding_minor -= totals.interest_minor
    loan.penalty_outstanding_minor -= totals.penalty_minor
    payer.credit_balance_minor += totals.overpayment_minor
    _post(ledger, loan, payer.id, payment, totals)
    contribution = GroupContribution(
        group_loan_id=loan.id,
        borrower_id=payer.id,
        idempotency_key=payment.idempotency_key,
        channel=payment.channel,
        amount_minor=payment.amount_minor,
        principal_minor=totals.principal_minor,
        interest_minor=totals.interest_minor,
        penalty_minor=totals.penalty_minor,
        overpayment_minor=totals.overpayment_minor,
        receipt=payment.receipt,
        received_at=payment.received_at,
    )
    session.add(contribution)
    if (
        loan.principal_outstanding_minor
        == loan.interest_outstanding_minor
        == loan.penalty_outstanding_minor
        == 0
    ):  # nothing owed: interest of instalments not yet due is never owed (repaid early)
        loan.status, loan.closed_at = GroupLoanStatus.REPAID, now
        close_application(session, loan)
    arrears.refresh(session, loan, rows, business_date(now))
    session.flush()
    queue_sms(
        session,
        payer.id,
        f"group-repaid:{payment.idempotency_key}",
        f"Mkopo: {kes(payment.amount_minor)} received for your group's loan "
        f"{loan.account_number}. "
        + (
            "The loan is repaid."
            if loan.status == GroupLoanStatus.REPAID
            else f"The group owes {kes(_left(rows))}."
        ),
        now,
    )
    return contribution


def terms_of(session: Session, loan: GroupLoan) -> ProductTerms:
    """The product terms the group's application was made on."""
    application = session.get(GroupApplication, loan.application_id)
    assert application is not None
    return ProductTerms.from_snapshot(application.product_terms)


def _left(rows: list[GroupLoanInstalment]) -> int:
    return sum(
        row.principal_minor
        - row.paid_principal_minor
        + row.interest_minor
        - row.paid_interest_minor
        for row in rows
    )


def recognise_due_interest(
    ledger: Ledger, loan: GroupLoan, rows: list[GroupLoanInstalment], today: date, at: datetime
) -> None:
    """Recognise the interest of the instalments fallen due (Dr 1240 / Cr 4000), as the
    individual instalment loans do (``lending.instalments.post_interest_fallen_due``)."""
    owner = InterestOwner(
        f"group-interest:{loan.id}",
        f"group loan {loan.account_number}",
        f"group_loan:{loan.id}",
        {"group_id": loan.group_id, "group_loan_id": loan.id},
    )
    amount = post_interest_fallen_due(ledger, owner, Acct.GROUP_INTEREST, rows, today, at)
    loan.interest_outstanding_minor += amount


def _post(
    ledger: Ledger,
    loan: GroupLoan,
    payer_id: int,
    payment: GroupPayment,
    allocation: Allocation,
) -> None:
    accounts = fund_accounts(ledger)
    lines = [
        PostingLine.debit(accounts[float_of(payment.network)], payment.amount_minor),
        PostingLine.credit(accounts[Acct.GROUP_PENALTY], allocation.penalty_minor),
        PostingLine.credit(accounts[Acct.GROUP_INTEREST], allocation.interest_minor),
        PostingLine.credit(accounts[Acct.GROUP_PRINCIPAL], allocation.principal_minor),
        PostingLine.credit(accounts[Acct.CREDIT_BALANCES], allocation.overpayment_minor),
    ]
    ledger.post(
        EntryRequest(
            f"group-repayment:{payment.idempotency_key}",
            [line for line in lines if line.amount_minor > 0],
            f"Repayment of group loan {loan.account_number} by member {payer_id}",
            reference=f"group_loan:{loan.id}",
            metadata={"group_id": loan.group_id, "group_loan_id": loan.id, "borrower_id": payer_id}
            | ({"receipt": payment.receipt} if payment.receipt else {}),
            effective_at=payment.received_at,
        )
    )


def contributions_by_member(session: Session, group_loan_id: int) -> dict[int, int]:
    """Member -> what they paid towards the loan (the contribution ledger's totals)."""
    rows = session.execute(
        select(GroupContribution.borrower_id, func.sum(GroupContribution.amount_minor))
        .where(GroupContribution.group_loan_id == group_loan_id)
        .group_by(GroupContribution.borrower_id)
    ).all()
    return {int(b): int(total) for b, total in rows}
