"""Four-eyes proposals about one borrower's loans and bureau disputes, made from the
borrower page through the admin API's own route functions (so the same request, the same
audit and the same refusals), and decided by another officer in the approvals inbox:

- ``POST /console/loans/{id}/write-off`` (reason): ``request_write_off``;
- ``POST /console/loans/{id}/restructure`` (instalments and/or first due date, reason):
  ``request_restructure`` of an instalment loan;
- ``POST /console/disputes/{id}/resolution`` (upheld or rejected, reason):
  ``app.crb.routes.request_resolution``.

Makers only (admin, credit officer), as the API. After each, the borrower's page again, with
the request's number or the refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from app.admin import loan_routes as admin_loans
from app.api import params
from app.api.bodies import ReasonIn
from app.api.deps import AppClock, AppSessions
from app.approvals.schemas import ApprovalOut
from app.console.auth import PREFIX, MakerPost, Signed
from app.console.borrower_routes import borrower_page
from app.console.pages import render
from app.console.proposal_routes import asked_notice, asking
from app.console.refusals import REFUSALS, said
from app.crb import routes as crb_api
from app.crb.models import CrbDispute
from app.crb.schemas import ResolutionIn
from app.errors import DomainError
from app.lending.models import Loan

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Reason = Annotated[str, Form(max_length=400)]
Short = Annotated[str, Form(max_length=16)]


class InvalidTerms(DomainError, code="invalid_terms", http_status=422):
    """A restructure's instalments or first due date could not be read."""


def _borrower_of(sessions: AppSessions, model: type[Loan] | type[CrbDispute], row_id: int) -> int:
    """The borrower whose page the outcome is shown on (0: no such row, a 404 page)."""
    with sessions.reader() as session:
        owner = session.scalar(select(model.borrower_id).where(model.id == row_id))
        return owner or 0


def _ask_then_show(
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: Signed,
    borrower_id: int,
    ask: Callable[[], ApprovalOut],
) -> Response:
    """Ask (``ask`` calls the API's route function); the borrower page with the outcome."""
    if borrower_id == 0:
        return render("message.html", signed, 404, error="No such record")
    try:
        asked = ask()
    except REFUSALS as exc:
        return borrower_page(request, sessions, clock, signed, borrower_id, **said(exc))
    return borrower_page(request, sessions, clock, signed, borrower_id, notice=asked_notice(asked))


@router.post("/loans/{loan_id}/write-off")
def request_write_off(
    loan_id: params.RecordId,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: MakerPost,
    reason: Reason = "",
) -> Response:
    def ask() -> ApprovalOut:
        body = ReasonIn(reason=reason)
        return admin_loans.request_write_off(loan_id, body, asking(sessions, clock, signed))

    owner = _borrower_of(sessions, Loan, loan_id)
    return _ask_then_show(request, sessions, clock, signed, owner, ask)


def _terms(instalments: str, first_due_on: str) -> tuple[int | None, date | None]:
    try:
        count = int(instalments) if instalments.strip() else None
        first = date.fromisoformat(first_due_on) if first_due_on.strip() else None
    except ValueError:
        raise InvalidTerms(
            "Give the instalments as a whole number and the first due date as YYYY-MM-DD"
        ) from None
    return count, first


@router.post("/loans/{loan_id}/restructure")
def request_restructure(
    loan_id: params.RecordId,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: MakerPost,
    instalments: Short = "",
    first_due_on: Short = "",
    reason: Reason = "",
) -> Response:
    def ask() -> ApprovalOut:
        count, first = _terms(instalments, first_due_on)
        body = admin_loans.RestructureIn(reason=reason, instalments=count, first_due_on=first)
        return admin_loans.request_restructure(
            loan_id, body, clock, asking(sessions, clock, signed)
        )

    owner = _borrower_of(sessions, Loan, loan_id)
    return _ask_then_show(request, sessions, clock, signed, owner, ask)


@router.post("/disputes/{dispute_id}/resolution")
def request_resolution(
    dispute_id: params.RecordId,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: MakerPost,
    outcome: Short = "",
    reason: Reason = "",
) -> Response:
    def ask() -> ApprovalOut:
        body = ResolutionIn.model_validate({"reason": reason, "outcome": outcome})
        return crb_api.request_resolution(dispute_id, body, asking(sessions, clock, signed))

    owner = _borrower_of(sessions, CrbDispute, dispute_id)
    return _ask_then_show(request, sessions, clock, signed, owner, ask)
