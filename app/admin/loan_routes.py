"""``/admin/v1/loans``: the loan book (filters, pages by id), write-off and restructure
requests."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from app.admin.schemas import LoanDetailOut, LoanOut, LoanPage, RepaymentOut
from app.api import params
from app.api.bodies import ReasonIn
from app.api.deps import AppClock, ReadSession
from app.approvals.requests import ASKS, MakerAsks
from app.approvals.schemas import ApprovalOut
from app.clock import business_date
from app.lending.errors import LoanNotFound
from app.lending.models import Loan, LoanStatus
from app.lending.restructure_requests import LOAN_RESTRUCTURE
from app.lending.schemas import InstalmentRowOut, SettlementOut
from app.lending.write_off_requests import WRITE_OFF
from app.reports import loan_book
from app.staff.deps import ADMIN_PREFIX, BookReader

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: loan book"])


@router.get("/loans", response_model=LoanPage)
def list_loans(
    session: ReadSession,
    clock: AppClock,
    _: BookReader,
    status: LoanStatus | None = None,
    product: Annotated[
        str | None, Query(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    ] = None,
    overdue_days: Annotated[
        int | None, Query(ge=0, le=3_650, description="At least this many days past due")
    ] = None,
    borrower_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    after_id: params.AfterId = 0,
    limit: Annotated[int, Query(ge=1, le=loan_book.MAX_PAGE)] = loan_book.DEFAULT_PAGE,
) -> LoanPage:
    today = business_date(clock())
    where = loan_book.LoanFilter(status, product, overdue_days, borrower_id)
    loans = loan_book.list_loans(session, where, today, after_id, limit)
    return LoanPage(
        items=[LoanOut.of(loan, today) for loan in loans],
        next_after_id=loans[-1].id if len(loans) == limit else None,
    )


@router.get("/loans/{loan_id}", response_model=LoanDetailOut)
def get_loan(
    loan_id: params.RecordId, session: ReadSession, clock: AppClock, _: BookReader
) -> LoanDetailOut:
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise LoanNotFound(f"No loan {loan_id}")
    repayments = [
        RepaymentOut.model_validate(r) for r in loan_book.recent_repayments(session, loan_id)
    ]
    today = business_date(clock())
    extra = (
        SettlementOut.of_loan(session, loan, today),
        InstalmentRowOut.rows_of(session, loan.id),
    )
    return LoanDetailOut.of_loan(loan, today, repayments, extra)


@router.post("/loans/{loan_id}/write-offs", **ASKS)
def request_write_off(loan_id: params.RecordId, body: ReasonIn, asks: MakerAsks) -> ApprovalOut:
    """Ask for a defaulted loan to be written off; an admin approves it."""
    return asks(WRITE_OFF, {"loan_id": loan_id}, body.reason)


class RestructureIn(ReasonIn):
    instalments: int | None = Field(
        default=None, ge=1, le=360, description="Instalments of the new schedule"
    )
    first_due_on: date | None = Field(
        default=None, description="First due date of the new schedule"
    )


@router.post("/loans/{loan_id}/restructures", **ASKS)
def request_restructure(
    loan_id: params.RecordId, body: RestructureIn, clock: AppClock, asks: MakerAsks
) -> ApprovalOut:
    """Ask for an instalment loan to be rescheduled (a new number of instalments and/or first
    due date); an admin or credit officer other than the maker approves it."""
    parts = {
        "loan_id": loan_id,
        "instalments": body.instalments,
        "first_due_on": None if body.first_due_on is None else body.first_due_on.isoformat(),
        "asked_on": business_date(clock()).isoformat(),
    }
    return asks(LOAN_RESTRUCTURE, parts, body.reason)
