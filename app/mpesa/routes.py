"""The exceptions queue of paybill payments and the reversals of mistaken ones
(``/admin/v1/suspense``, ``/admin/v1/reversals``).

Officers and administrators see the payments held in suspense and may ask for one to be sent
back; only an administrator other than the requester may approve (four eyes). Assigning a
suspense payment to a loan comes with reconciliation. Each request and decision is written
to the audit log in the same transaction as the change it records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import AppClock, ReadSession, get_sessions
from app.api.params import AfterId
from app.api.params import RecordId as Id
from app.approvals.errors import ApprovalExpired, ApprovalFailed
from app.audit.log import record, staff_actor
from app.db.session import Sessions
from app.mpesa.models import CollectionReversal, ReceiptStatus, ReversalStatus, UnmatchedReceipt
from app.mpesa.reversal_kind import ReversalNotFound
from app.mpesa.reversals import (
    approve_reversal,
    reject_reversal,
    request_reversal,
)
from app.staff.auth import require_roles
from app.staff.models import Role, StaffUser
from ledger import Ledger

router = APIRouter(prefix="/admin/v1", tags=["exceptions and reversals"])

Officer = Annotated[StaffUser, Depends(require_roles(Role.ADMIN, Role.CREDIT_OFFICER))]
Admin = Annotated[StaffUser, Depends(require_roles(Role.ADMIN, moves_money=True))]
"""Approving a reversal holds the money: the one route here that posts to the ledger."""
AppSessions = Annotated[Sessions, Depends(get_sessions)]
Limit = Annotated[int, Query(ge=1, le=500)]
_REQUESTED = {"status": ReversalStatus.REQUESTED.value}


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UnmatchedOut(_Out):
    receipt: str
    amount_minor: int
    account_reference: str | None
    """What the payer typed as the account."""
    payer_hint: str | None
    """The payer's number as M-Pesa showed it (masked)."""
    paid_at: datetime
    status: str
    entry_id: int


class ReversalOut(_Out):
    id: int
    approval_id: int | None
    """Its four-eyes request (``/admin/v1/approvals/{id}``): decisions and expiry."""
    receipt: str
    amount_minor: int
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    approved_by: str | None
    decided_at: datetime | None
    result_code: str | None
    result_desc: str | None
    reversal_receipt: str | None
    resolved_at: datetime | None


class ReversalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receipt: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9]+$")
    reason: str = Field(min_length=3, max_length=200)


@router.get("/suspense", response_model=list[UnmatchedOut])
def list_suspense(
    session: ReadSession,
    _: Officer,
    status: ReceiptStatus = ReceiptStatus.OPEN,
    limit: Limit = 100,
    after_id: AfterId = 0,
) -> list[UnmatchedReceipt]:
    """Paybill payments that matched no loan, oldest first (page with ``after_id``)."""
    return list(
        session.scalars(
            select(UnmatchedReceipt)
            .where(UnmatchedReceipt.status == status.value, UnmatchedReceipt.id > after_id)
            .order_by(UnmatchedReceipt.id)
            .limit(limit)
        )
    )


@router.post("/reversals", response_model=ReversalOut, status_code=201)
def create_reversal(
    body: ReversalRequest, sessions: AppSessions, clock: AppClock, user: Officer
) -> ReversalOut:
    """Ask for a suspense payment to be sent back to its payer (another admin approves)."""
    with sessions.unit_of_work() as session:
        reversal = request_reversal(session, body.receipt, body.reason, staff_actor(user), clock())
        answer = ReversalOut.model_validate(reversal)
        _audit(session, user, "reversal.request", answer, clock(), before=None)
        return answer


@router.get("/reversals", response_model=list[ReversalOut])
def list_reversals(
    session: ReadSession,
    _: Officer,
    status: ReversalStatus | None = None,
    limit: Limit = 100,
    after_id: AfterId = 0,
) -> list[CollectionReversal]:
    query = select(CollectionReversal).where(CollectionReversal.id > after_id)
    if status is not None:
        query = query.where(CollectionReversal.status == status)
    return list(session.scalars(query.order_by(CollectionReversal.id).limit(limit)))


@router.get("/reversals/{reversal_id}", response_model=ReversalOut)
def get_reversal(reversal_id: Id, session: ReadSession, _: Officer) -> CollectionReversal:
    reversal = session.get(CollectionReversal, reversal_id)
    if reversal is None:
        raise ReversalNotFound(f"No reversal {reversal_id}")
    return reversal


@router.post("/reversals/{reversal_id}/approve", response_model=ReversalOut)
def approve(reversal_id: Id, sessions: AppSessions, clock: AppClock, user: Admin) -> ReversalOut:
    """Approve someone else's request: the money is held and the worker sends it back."""
    with sessions.unit_of_work() as session:
        reversal = approve_reversal(
            session, Ledger(session, clock), reversal_id, staff_actor(user), clock()
        )
        answer = ReversalOut.model_validate(reversal)
        _audit(session, user, f"reversal.{_VERBS.get(answer.status, 'approve')}", answer, clock())
    # raised after the commit: the closed reversal stays closed
    if answer.status == ReversalStatus.EXPIRED:
        raise ApprovalExpired(f"Reversal {reversal_id} was not decided in time and expired")
    if answer.status == ReversalStatus.FAILED:
        raise ApprovalFailed(f"Reversal {reversal_id} no longer holds: {answer.result_desc}")
    return answer


@router.post("/reversals/{reversal_id}/reject", response_model=ReversalOut)
def reject(reversal_id: Id, sessions: AppSessions, clock: AppClock, user: Officer) -> ReversalOut:
    with sessions.unit_of_work() as session:
        answer = ReversalOut.model_validate(
            reject_reversal(session, reversal_id, staff_actor(user), clock())
        )
        withdrawn = answer.requested_by == user.username
        verb = "withdraw" if withdrawn else "reject"
        _audit(session, user, f"reversal.{_VERBS.get(answer.status, verb)}", answer, clock())
        return answer


_VERBS: dict[str, str] = {ReversalStatus.EXPIRED: "expire", ReversalStatus.FAILED: "fail"}
"""Audit verbs of a decision that closed the reversal without holding anything."""


def _audit(
    session: Session,
    user: StaffUser,
    action: str,
    reversal: ReversalOut,
    now: datetime,
    before: dict[str, str] | None = _REQUESTED,
) -> None:
    after = reversal.model_dump(
        mode="json", include={"status", "receipt", "amount_minor", "reason", "approved_by"}
    )
    record(session, staff_actor(user), action, ("reversal", reversal.id), now, before, after)
