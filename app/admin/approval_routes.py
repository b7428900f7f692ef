"""``/admin/v1/approvals``: the maker-checker queue, and its decisions.

Approve and reject: admins other than the maker (and whom the kind's policy admits). A
request needing k approvals stays pending until the k-th. Withdraw: the maker. A request
that no longer holds when approved is closed as failed, one past its time as expired (both
committed, audited) and answered 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.admin.approval_kinds import handlers
from app.api import params
from app.api.bodies import ReasonIn
from app.api.deps import AppClock, AppSessions, ReadSession, app_blind_index
from app.approvals import engine as approvals
from app.approvals import queries as approval_queries
from app.approvals.models import ApprovalKind, ApprovalStatus
from app.approvals.schemas import ApprovalOut, ApprovalPage
from app.audit.log import staff_actor
from app.staff.deps import ADMIN_PREFIX, Admin, BookReader, Maker, MoneyAdmin
from ledger import Ledger

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: approvals"])


@router.get("/approvals", response_model=ApprovalPage)
def list_approvals(
    session: ReadSession,
    _: BookReader,
    status: ApprovalStatus | None = None,
    kind: ApprovalKind | None = None,
    maker: params.Filter = None,
    subject_type: params.Filter = None,
    subject_id: params.Filter = None,
    after_id: params.AfterId = 0,
    limit: Annotated[int, Query(ge=1, le=approval_queries.MAX_PAGE)] = 50,
) -> ApprovalPage:
    where = approval_queries.ApprovalFilter(
        status=status.value if status else None,
        kind=kind.value if kind else None,
        maker=maker,
        subject_type=subject_type,
        subject_id=subject_id,
    )
    items = approval_queries.list_approvals(session, where, after_id, limit)
    return ApprovalPage(
        items=[ApprovalOut.model_validate(a) for a in items],
        next_after_id=items[-1].id if len(items) == limit else None,
    )


@router.get("/approvals/{approval_id}", response_model=ApprovalOut)
def get_approval(approval_id: params.RecordId, session: ReadSession, _: BookReader) -> ApprovalOut:
    return ApprovalOut.model_validate(approval_queries.get_approval(session, approval_id))


@router.post(
    "/approvals/{approval_id}/approve",
    response_model=ApprovalOut,
    responses={409: {"description": "No longer valid: the request is now failed"}},
)
def approve(
    approval_id: params.RecordId,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    user: MoneyAdmin,
) -> ApprovalOut:
    """Record this approval; the last one needed re-validates the request against the state
    now and applies it, in one transaction."""
    kinds = handlers(app_blind_index(request))
    with sessions.unit_of_work() as session:
        decision = approvals.approve(
            session, Ledger(session, clock), kinds, approval_id, staff_actor(user), clock()
        )
        answer = ApprovalOut.model_validate(decision.approval)
    if isinstance(decision.failure, approvals.ApprovalExpired):
        raise decision.failure  # after the commit: the expired status stays
    if decision.failure is not None:  # raised after the commit: the failed status stays
        raise approvals.ApprovalFailed(
            f"Approval request {approval_id} no longer holds and is now failed: "
            f"{decision.failure.detail} ({decision.failure.code})"
        )
    return answer


@router.post("/approvals/{approval_id}/reject", response_model=ApprovalOut)
def reject(
    approval_id: params.RecordId,
    body: ReasonIn,
    sessions: AppSessions,
    clock: AppClock,
    user: Admin,
) -> ApprovalOut:
    with sessions.unit_of_work() as session:
        approval = approvals.reject(
            session, approval_id, staff_actor(user), body.reason, clock(), handlers(None)
        )
        return ApprovalOut.model_validate(approval)


@router.post("/approvals/{approval_id}/withdraw", response_model=ApprovalOut)
def withdraw(
    approval_id: params.RecordId, sessions: AppSessions, clock: AppClock, user: Maker
) -> ApprovalOut:
    """The maker takes their pending request back."""
    with sessions.unit_of_work() as session:
        approval = approvals.withdraw(
            session, approval_id, staff_actor(user), clock(), handlers=handlers(None)
        )
        return ApprovalOut.model_validate(approval)
