"""``/admin/v1/sme``: SME loan applications for the credit officers: the list, one
application, approve (above the product's threshold: a four-eyes request a second person
approves at ``/admin/v1/approvals/{id}/approve``) and reject (docs/backoffice.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.admin.approval_kinds import HANDLERS
from app.api import params
from app.api.bodies import ReasonIn
from app.api.deps import AppClock, AppSessions, ReadSession
from app.approvals.models import ApprovalKind
from app.audit.log import staff_actor
from app.sme import applications
from app.sme.models import ApplicationStatus
from app.sme.schemas import SmeApplicationOut
from app.staff.auth import require_roles
from app.staff.deps import MAKERS, BookReader, Maker
from app.staff.models import StaffUser
from ledger import Ledger

router = APIRouter(prefix="/admin/v1/sme", tags=["admin: SME loans"])
MoneyMaker = Annotated[StaffUser, Depends(require_roles(*MAKERS, moves_money=True))]
SECOND_APPROVAL = HANDLERS[ApprovalKind.SME_LOAN_APPROVAL.value]


@router.get("/applications", response_model=list[SmeApplicationOut])
def list_applications(
    session: ReadSession,
    _: BookReader,
    status: ApplicationStatus | None = None,
    business_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[SmeApplicationOut]:
    found = applications.applications_of(session, business_id, status, limit)
    return [SmeApplicationOut.of(a) for a in found]


@router.get("/applications/{application_id}", response_model=SmeApplicationOut)
def get_application(
    application_id: params.RecordId, session: ReadSession, _: BookReader
) -> SmeApplicationOut:
    return SmeApplicationOut.of(applications.get_application(session, application_id))


@router.post("/applications/{application_id}/approve", response_model=SmeApplicationOut)
def approve_application(
    application_id: params.RecordId, sessions: AppSessions, clock: AppClock, user: MoneyMaker
) -> SmeApplicationOut:
    """Approve: the loan is made and paid out in legs, or, above the threshold, a four-eyes
    request waits for a second person."""
    approver = applications.Approver(staff_actor(user), SECOND_APPROVAL)
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, clock)
        approved = applications.approve(session, ledger, application_id, approver, clock())
        return SmeApplicationOut.of(approved)


@router.post("/applications/{application_id}/reject", response_model=SmeApplicationOut)
def reject_application(
    application_id: params.RecordId,
    body: ReasonIn,
    sessions: AppSessions,
    clock: AppClock,
    user: Maker,
) -> SmeApplicationOut:
    with sessions.unit_of_work() as session:
        rejected = applications.reject(
            session, application_id, staff_actor(user), body.reason, clock()
        )
        return SmeApplicationOut.of(rejected)
