"""``/admin/v1/crb``: what went to the bureaus and what they refused, and borrowers'
disputes of their records (docs/crb.md).

Submissions and rejections are read by the book's readers (admin, credit officer, auditor).
Rejected records name a file, a record number, a field and a reason, never the record's
personal data. Disputes are read by every staff role (support answers the borrower), opened
on a borrower's behalf by support or operations, and resolved under four eyes by operations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from app.api import params
from app.api.deps import AppClock, AppSessions
from app.approvals.requests import ASKS, MakerAsks
from app.approvals.schemas import ApprovalOut
from app.audit.log import record, staff_actor
from app.crb.dispute_kind import CRB_DISPUTE
from app.crb.disputes import Complaint, list_disputes, open_dispute
from app.crb.models import DisputeChannel, DisputeStatus
from app.crb.schemas import DisputeIn, DisputeOut, ResolutionIn
from app.crb.submissions import MAX_PAGE, list_submissions, open_rejections
from app.staff.auth import require_roles
from app.staff.deps import ADMIN_PREFIX, BookReader, Reader
from app.staff.models import Role, StaffUser

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: credit bureaus"])
Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]


class SubmissionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    bureau: str
    kind: str
    file_type: str
    business_date: date
    file_name: str
    file_sha256: str
    records: int
    status: str
    rejections: int
    sent_at: datetime
    acknowledged_at: datetime | None


class RejectionOut(BaseModel):
    id: int
    bureau: str
    file: str
    record: int
    field: str
    reason: str


@router.get("/crb/submissions", response_model=list[SubmissionOut])
def submissions(
    sessions: AppSessions, _: BookReader, after_id: params.AfterId = 0, limit: Page = 50
) -> list[SubmissionOut]:
    with sessions.reader() as session:
        return [SubmissionOut.model_validate(s) for s in list_submissions(session, after_id, limit)]


@router.get("/crb/rejections", response_model=list[RejectionOut])
def rejections(
    sessions: AppSessions, _: BookReader, after_id: params.AfterId = 0, limit: Page = 50
) -> list[RejectionOut]:
    """Rejected records no later accepted file has corrected, oldest first."""
    with sessions.reader() as session:
        return [RejectionOut.model_validate(r) for r in open_rejections(session, after_id, limit)]


Helper = Annotated[StaffUser, Depends(require_roles(Role.ADMIN, Role.CREDIT_OFFICER, Role.SUPPORT))]


@router.get("/crb/disputes", response_model=list[DisputeOut])
def disputes(
    sessions: AppSessions,
    _: Reader,
    status: DisputeStatus | None = None,
    after_id: params.AfterId = 0,
    limit: Page = 50,
) -> list[DisputeOut]:
    """Disputes oldest first (``status=open``: the queue to answer, each by ``respond_by``)."""
    with sessions.reader() as session:
        found = list_disputes(session, status, after_id, limit)
        return [DisputeOut.model_validate(d) for d in found]


@router.post("/borrowers/{borrower_id}/disputes", status_code=201, response_model=DisputeOut)
def open_for_borrower(
    borrower_id: params.RecordId,
    body: DisputeIn,
    sessions: AppSessions,
    clock: AppClock,
    user: Helper,
) -> DisputeOut:
    """A borrower disputes a loan's bureau record through support (by phone, in person)."""
    complaint = Complaint(borrower_id, body.loan_id, body.reason, body.note, DisputeChannel.SUPPORT)
    with sessions.unit_of_work() as session:
        now = clock()
        dispute = open_dispute(session, complaint, now)
        after = {"loan_id": dispute.loan_id, "reason": dispute.reason}
        record(
            session,
            staff_actor(user),
            "crb.dispute_opened",
            ("crb_dispute", dispute.id),
            now,
            after=after,
        )
        return DisputeOut.model_validate(dispute)


@router.post("/crb/disputes/{dispute_id}/resolutions", **ASKS)
def request_resolution(
    dispute_id: params.RecordId, body: ResolutionIn, asks: MakerAsks
) -> ApprovalOut:
    """Propose upholding (the listing is lifted) or rejecting a dispute; another officer
    approves it through ``/admin/v1/approvals``."""
    return asks(CRB_DISPUTE, {"dispute_id": dispute_id, "outcome": body.outcome}, body.reason)
