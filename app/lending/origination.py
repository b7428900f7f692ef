"""Origination: a quote, then a confirmed loan or top-up whose money is held in the ledger
while the disbursement is on its way.

One transaction: lock the borrower's row (so two requests for one borrower are served one
after the other), check every rule, create or extend the loan, hold principal / cash /
savings in the ledger (the cash on the float of the borrower's network), and record a pending
payout through that network's provider. The payout is sent after commit
(``app.payments.payouts``); its result posts or voids the hold.

Rules: opted in; not frozen; product active and open to the borrower's band; whole
shillings between the product's minimum and maximum; one open loan per borrower (a top-up
extends it, never while a disbursement is in flight); outstanding principal plus anything in
flight plus the new amount within the limit. The database enforces the last two as well.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.borrowers.service import get_borrower, require_opted_in
from app.clock import business_date
from app.lending import errors
from app.lending.account_numbers import account_number
from app.lending.loans import open_loan
from app.lending.models import Loan, LoanStatus
from app.lending.payout_legs import PartOrder, PayoutPart, hold_and_queue
from app.lending.quotes import (
    Quote,
    instalment_schedule,
    owed_by,
    quote_new_loan,
    quote_top_up,
    split_disbursement,
)
from app.money import SHILLING
from app.payments.models import Payout, PayoutPurpose
from app.products.models import INDIVIDUAL_AUDIENCE, Product
from app.products.terms import ProductTerms
from ledger import Ledger


@dataclass(frozen=True, slots=True)
class LoanRequest:
    borrower_id: int
    product_code: str
    amount_minor: int
    idempotency_key: str


def product_terms(session: Session, code: str) -> ProductTerms:
    product = session.scalar(
        select(Product).where(
            Product.code == code, Product.active, Product.audience == INDIVIDUAL_AUDIENCE
        )
    )
    if product is None:
        raise errors.ProductUnavailable(f"No active product {code!r}")
    return ProductTerms.of(product)


def quote(
    session: Session, borrower_id: int, product_code: str, amount_minor: int, now: datetime
) -> Quote:
    """The disclosure for a loan or top-up, after every rule a confirmation would check."""
    borrower = get_borrower(session, borrower_id)
    terms = product_terms(session, product_code)
    loan = open_loan(session, borrower_id)
    _check_request(borrower, terms, loan, amount_minor)
    today = business_date(now)
    credit = borrower.credit_balance_minor
    if loan is None:
        return quote_new_loan(terms, amount_minor, today, credit)
    assert loan.due_on is not None
    return quote_top_up(terms, amount_minor, today, loan.due_on, owed_by(loan), credit)


def request_loan(session: Session, ledger: Ledger, request: LoanRequest, now: datetime) -> Payout:
    """Confirm a loan or top-up: the loan, the ledger hold and a pending payout, or a refusal.

    Replaying ``idempotency_key`` returns the first payout.
    """
    # The lock first: a same-key request still running is waited for, then replayed.
    borrower = get_borrower(session, request.borrower_id, lock=True)
    replay = _replay(session, request)
    if replay is not None:
        return replay
    terms = product_terms(session, request.product_code)
    loan = open_loan(session, borrower.id)
    _check_request(borrower, terms, loan, request.amount_minor)
    if terms.is_instalment:  # refused now, not when the disbursement is confirmed
        instalment_schedule(terms, request.amount_minor, business_date(now))
    if loan is None:
        loan = new_loan(session, borrower, terms, now)
    loan.credit_limit_minor = borrower.credit_limit_minor
    loan.principal_pending_minor += request.amount_minor
    split = split_disbursement(request.amount_minor, terms)
    part = PayoutPart(
        request.amount_minor,
        split.cash_minor,
        split.savings_long_minor,
        split.savings_short_minor,
    )
    purpose = PayoutPurpose.LOAN if loan.status == LoanStatus.DISBURSING else PayoutPurpose.TOPUP
    return hold_and_queue(
        session, ledger, loan, PartOrder(part, request.idempotency_key, purpose), now
    )


def _replay(session: Session, request: LoanRequest) -> Payout | None:
    payout = session.scalar(select(Payout).where(Payout.idempotency_key == request.idempotency_key))
    if payout is None:
        return None
    if payout.borrower_id != request.borrower_id or payout.principal_minor != request.amount_minor:
        raise errors.RequestKeyReused("This request key was used for another loan request")
    return payout


def _check_request(
    borrower: Borrower, terms: ProductTerms, loan: Loan | None, amount_minor: int
) -> None:
    require_opted_in(borrower)
    if borrower.frozen_at is not None:
        raise errors.BorrowerFrozen("Your account is frozen until your loan is repaid in full")
    if borrower.group_arrears_since is not None:
        raise errors.GroupArrearsFreeze(
            "Your group's loan is in arrears: no new loans until the group has caught up"
        )
    if terms.eligible_bands is not None and borrower.score_band not in terms.eligible_bands:
        raise errors.BandNotEligible(
            f"{terms.name} is for borrowers in bands {', '.join(terms.eligible_bands)}"
        )
    if (
        isinstance(amount_minor, bool)
        or not isinstance(amount_minor, int)
        or amount_minor % SHILLING
    ):
        raise errors.NotWholeShillings("Borrow whole shillings")
    if amount_minor < terms.min_amount_minor:
        raise errors.BelowMinimum(
            f"The least you can borrow is KES {terms.min_amount_minor // 100:,}"
        )
    if amount_minor > terms.max_amount_minor:
        raise errors.AboveMaximum(
            f"The most you can borrow is KES {terms.max_amount_minor // 100:,}"
        )
    owed = 0
    if loan is not None:
        if loan.product_terms["code"] != terms.code:
            raise errors.OtherProductOpen("Repay your current loan first")
        if terms.is_instalment:
            raise errors.TopUpNotOffered("Instalment loans cannot be topped up")
        if loan.status != LoanStatus.ACTIVE or loan.principal_pending_minor > 0:
            raise errors.LoanInFlight("Your last disbursement is still on its way")
        owed = loan.principal_outstanding_minor
    available = borrower.credit_limit_minor - owed
    if amount_minor > available:
        raise errors.OverLimit(f"You can borrow up to KES {max(available, 0) // 100:,} now")


def new_loan(
    session: Session,
    borrower: Borrower,
    terms: ProductTerms,
    now: datetime,
    business_id: int | None = None,
    credit_limit_minor: int | None = None,
) -> Loan:
    """A loan row about to be disbursed (an SME loan: its business and the business's limit)."""
    loan = Loan(
        account_number=f"T{uuid.uuid4().hex[:11]}",
        borrower_id=borrower.id,
        product_id=session.scalar(select(Product.id).where(Product.code == terms.code)),
        product_terms=terms.snapshot(),
        business_id=business_id,
        status=LoanStatus.DISBURSING,
        credit_limit_minor=(
            borrower.credit_limit_minor if credit_limit_minor is None else credit_limit_minor
        ),
        principal_pending_minor=0,
        principal_disbursed_minor=0,
        principal_outstanding_minor=0,
        interest_outstanding_minor=0,
        penalty_outstanding_minor=0,
        days_accrued=0,
        carry_units=0,
        interest_accrued_minor=0,
        penalty_accrued_minor=0,
        created_at=now,
    )
    session.add(loan)
    session.flush()
    loan.account_number = account_number(loan.id)
    return loan
