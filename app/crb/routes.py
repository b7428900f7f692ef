"""``/admin/v1/crb``: what went to the bureaus and what they refused (docs/crb.md).

Read-only, for the book's readers (admin, credit officer, auditor). Rejected records name a
file, a record number, a field and a reason, never the record's personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from app.api import params
from app.api.deps import AppSessions
from app.crb.submissions import MAX_PAGE, list_submissions, open_rejections
from app.staff.deps import ADMIN_PREFIX, BookReader

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
