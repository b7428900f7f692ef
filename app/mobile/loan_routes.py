"""Quotes, borrowing, the borrower's loans, and repayment by STK push.

Borrowing and repaying move money, so they require an ``Idempotency-Key``: the services
dedupe by it (scoped per borrower and operation), a repeat answers the first request's
resource again with ``Idempotent-Replayed: true``, and only a new request hands work to the
worker — after the transaction commits.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from app.api.deps import AppClock, ReadSession
from app.api.params import RecordId
from app.clock import business_date
from app.lending.origination import LoanRequest, quote, request_loan
from app.mobile.auth import CurrentBorrower
from app.mobile.deps import BoundedBodyRoute
from app.mobile.loan_views import current_loan, loan_view, loans_page, own_loan, quote_out
from app.mobile.money_moves import BorrowerMove, payout_exists
from app.mobile.queries import (
    OFFSET_MAX,
    PAGE_DEFAULT,
    PAGE_MAX,
    disbursement_view,
    own_stk_request,
    stk_exists,
    stk_view,
)
from app.mobile.schemas import (
    AmountIn,
    DisbursementOut,
    LoanOut,
    LoansPage,
    QuoteIn,
    QuoteOut,
    StkRequestOut,
)
from app.mpesa.stk import request_stk_repayment
from ledger import Ledger

router = APIRouter(route_class=BoundedBodyRoute, tags=["app: loans"])
NOT_YOURS: dict[int | str, dict[str, Any]] = {404: {"description": "No such record of yours"}}


@router.post("/quotes", summary="What a loan or top-up would cost (total cost of credit)")
def quote_loan(
    body: QuoteIn, owner: CurrentBorrower, session: ReadSession, clock: AppClock
) -> QuoteOut:
    q = quote(session, owner.borrower_id, body.product_code, body.amount_minor, clock())
    return quote_out(q)


@router.post(
    "/loans",
    status_code=201,
    summary="Borrow (or top up): the cash is sent to your wallet (M-Pesa or Airtel Money)",
    responses={400: {"description": "Idempotency-Key missing"}},
)
def borrow(body: QuoteIn, move: BorrowerMove) -> DisbursementOut:
    def lend(session: Session, ledger: Ledger, key: str) -> DisbursementOut:
        request = LoanRequest(move.borrower_id, body.product_code, body.amount_minor, key)
        return disbursement_view(request_loan(session, ledger, request, move.clock()))

    return move.run("loan", payout_exists, lend)


@router.get(
    "/loans/current",
    summary="The open loan: balances, schedule and history",
    responses={404: {"description": "No open loan"}},
)
def my_current_loan(owner: CurrentBorrower, session: ReadSession, clock: AppClock) -> LoanOut:
    loan = current_loan(session, owner.borrower_id)
    return loan_view(session, loan, business_date(clock()))


@router.get("/loans", summary="Your loans, newest first")
def my_loans(
    owner: CurrentBorrower,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> LoansPage:
    return loans_page(session, owner.borrower_id, limit, offset)


@router.get("/loans/{loan_id}", summary="One of your loans", responses=NOT_YOURS)
def my_loan(
    loan_id: RecordId, owner: CurrentBorrower, session: ReadSession, clock: AppClock
) -> LoanOut:
    loan = own_loan(session, owner.borrower_id, loan_id)
    return loan_view(session, loan, business_date(clock()))


@router.post(
    "/repayments",
    status_code=201,
    summary="Repay from your wallet: a payment prompt is sent to your phone",
    responses={400: {"description": "Idempotency-Key missing"}},
)
def repay(body: AmountIn, move: BorrowerMove) -> StkRequestOut:
    def prompt(session: Session, _ledger: Ledger, key: str) -> StkRequestOut:
        amount = body.amount_minor
        return stk_view(request_stk_repayment(session, move.borrower_id, amount, key, move.clock()))

    return move.run("repayment", stk_exists, prompt)


@router.get(
    "/repayments/{request_id}",
    summary="A repayment prompt and its outcome",
    responses=NOT_YOURS,
)
def my_repayment(
    request_id: RecordId, owner: CurrentBorrower, session: ReadSession
) -> StkRequestOut:
    return stk_view(own_stk_request(session, owner.borrower_id, request_id))
