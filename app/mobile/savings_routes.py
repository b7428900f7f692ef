"""Savings, withdrawals of short-term savings to the borrower's wallet, and the statement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from app.api.deps import ReadSession
from app.api.params import RecordId
from app.borrowers.service import get_borrower
from app.lending.loans import open_loan_id
from app.mobile.auth import CurrentBorrower
from app.mobile.deps import BoundedBodyRoute
from app.mobile.loan_routes import NOT_YOURS
from app.mobile.money_moves import BorrowerMove, payout_exists
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
    summary="Withdraw short-term savings to your wallet (no open loan)",
    responses={400: {"description": "Idempotency-Key missing"}},
)
def withdraw(body: AmountIn, move: BorrowerMove) -> DisbursementOut:
    def pay_out(session: Session, ledger: Ledger, key: str) -> DisbursementOut:
        payout = request_savings_withdrawal(
            session, ledger, move.borrower_id, body.amount_minor, key, move.clock()
        )
        return disbursement_view(payout)

    return move.run("withdrawal", payout_exists, pay_out)


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
