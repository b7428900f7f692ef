"""``/console/approvals``: the pending four-eyes requests with what each would change (the
recorded payload), approved or rejected through the admin API's own route functions
(``app.admin.approval_routes``): the same engine calls, roles and ledger gate. The engine
refuses the maker as checker; every refusal is shown on the page, never a 500."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.admin import approval_routes as admin_approvals
from app.api import params
from app.api.bodies import ReasonIn
from app.api.deps import AppClock, AppSessions
from app.approvals import queries as approval_queries
from app.approvals.models import ApprovalStatus
from app.approvals.schemas import ApprovalOut
from app.console.auth import PREFIX, AdminPost, BookReaderPage, MoneyAdminPost, Signed
from app.console.pages import render
from app.console.refusals import REFUSALS, said
from app.staff.deps import ADMINS

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def inbox(sessions: AppSessions, signed: Signed, status: int = 200, **shown: Any) -> Response:
    with sessions.reader() as session:
        pending = approval_queries.list_approvals(
            session,
            approval_queries.ApprovalFilter(status=ApprovalStatus.PENDING.value),
            limit=approval_queries.MAX_PAGE,
        )
        items = [ApprovalOut.model_validate(a) for a in pending]
    return render(
        "approvals.html", signed, status, items=items, may_decide=signed.may(*ADMINS), **shown
    )


@router.get("/approvals")
def approvals_inbox(sessions: AppSessions, signed: BookReaderPage) -> Response:
    return inbox(sessions, signed)


@router.post("/approvals/{approval_id}/approve")
def approve(
    approval_id: params.RecordId,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: MoneyAdminPost,
) -> Response:
    try:
        done = admin_approvals.approve(approval_id, request, sessions, clock, signed.user)
    except REFUSALS as exc:
        return inbox(sessions, signed, **said(exc))
    return inbox(sessions, signed, notice=f"Request {approval_id} approved: {done.status}")


@router.post("/approvals/{approval_id}/reject")
def reject(
    approval_id: params.RecordId,
    sessions: AppSessions,
    clock: AppClock,
    signed: AdminPost,
    note: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    try:
        body = ReasonIn(reason=note)
        admin_approvals.reject(approval_id, body, sessions, clock, signed.user)
    except REFUSALS as exc:
        return inbox(sessions, signed, **said(exc))
    return inbox(sessions, signed, notice=f"Request {approval_id} rejected")
