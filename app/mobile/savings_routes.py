"""Savings, withdrawals of short-term savings to M-Pesa, and the statement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import AppClock, ReadSession
from app.api.params import RecordId
from app.borrowers.service import get_borrower
from app.lending.loans import open_loan_id
from app.mobile.auth import CurrentBorrower
from app.mobile.deps import (
    AppSessions,
    BoundedBodyRoute,
    IdempotencyKey,
    lock_money_moves,
    mark_replay,
    scoped_key,
)
from app.mobile.loan_routes import NOT_YOURS, payout_exists
from app.mobile.queries import (
    OFFSET_MAX,
    PAGE_DEFAULT,
    PAGE_MAX,
    disbursement_view,
    own_withdrawal,
    savings_view,
    statement_page,
)
from app.mobile.schemas import AmountIn, DisbursementOut, SavingsOut, StatementPage
from app.savings.withdrawals import request_savings_withdrawal
from ledger import Ledger

router = APIRouter(route_class=BoundedBodyRoute, tags=["app: savings"])


@router.get("/savings", summary="Savings balances and what can be withdrawn now")
def my_savings(owner: CurrentBorrower, session: ReadSession) -> SavingsOut:
    borrower = get_borrower(session, owner.borrower_id)
    return savings_view(borrower, open_loan_id(session, owner.borrower_id) is not None)


@router.post(
    "/savings/withdrawals",
    status_code=201,
    summary="Withdraw short-term savings to your M-Pesa (no open loan)",
    responses={400: {"description": "Idempotency-Key missing"}},
)
def withdraw(
    body: AmountIn,
    owner: CurrentBorrower,
    key: IdempotencyKey,
    response: Response,
    sessions: AppSessions,
    clock: AppClock,
) -> DisbursementOut:
    scoped = scoped_key(owner.borrower_id, "withdrawal", key)
    with sessions.unit_of_work() as session:
        lock_money_moves(session, owner.borrower_id)
        replayed = payout_exists(session, scoped)
        payout = request_savings_withdrawal(
            session, Ledger(session, clock), owner.borrower_id, body.amount_minor, scoped, clock()
        )
        view = disbursement_view(payout)
    mark_replay(response, replayed)
    return view


@router.get(
    "/savings/withdrawals/{withdrawal_id}",
    summary="A withdrawal and its outcome",
    responses=NOT_YOURS,
)
def my_withdrawal(
    withdrawal_id: RecordId, owner: CurrentBorrower, session: ReadSession
) -> DisbursementOut:
    return disbursement_view(own_withdrawal(session, owner.borrower_id, withdrawal_id))


@router.get("/statement", summary="Money to and from your wallet, newest first")
def my_statement(
    owner: CurrentBorrower,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> StatementPage:
    return statement_page(session, owner.borrower_id, limit, offset)
