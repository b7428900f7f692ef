"""``/audit/v1/audit-log``: reading and verifying the audit log (auditors and admins).

Reading the log is itself an auditor action: each query and verification is appended to
the log (after the read, in its own short transaction, so a long verification does not
hold the chain's lock).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from app.api.deps import AppClock, ReadSession, get_sessions
from app.api.params import IsoDateTime
from app.api.problems import ProblemError
from app.audit.chain import ChainReport, verify_chain
from app.audit.log import DEFAULT_PAGE, MAX_PAGE, AuditFilter, record, search, staff_actor
from app.db.session import Sessions
from app.staff.auth import require_roles
from app.staff.models import Role, StaffUser

router = APIRouter(prefix="/audit/v1", tags=["audit log"])
Auditor = Annotated[StaffUser, Depends(require_roles(Role.AUDITOR, Role.ADMIN))]
AppSessions = Annotated[Sessions, Depends(get_sessions)]
Filter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
"""No control characters: PostgreSQL text cannot hold NUL."""
Moment = Annotated[IsoDateTime | None, Query(description="ISO 8601 with a zone")]


class AuditRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    subject_type: str
    subject_id: str | None
    before: Any
    after: Any
    request_id: str | None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditRecordOut]
    next_after_id: int | None


class ChainBreakOut(BaseModel):
    position: int | None
    problem: str
    detail: str


class VerifyOut(BaseModel):
    ok: bool
    records_checked: int
    last_hash: str
    head_length: int | None
    head_hash: str | None
    first_break: ChainBreakOut | None

    @classmethod
    def of(cls, report: ChainReport) -> VerifyOut:
        found = report.first_break
        return cls(
            ok=report.ok,
            records_checked=report.records_checked,
            last_hash=report.last_hash,
            head_length=report.head_length,
            head_hash=report.head_hash,
            first_break=None
            if found is None
            else ChainBreakOut(position=found.position, problem=found.problem, detail=found.detail),
        )


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ProblemError(400, "naive_datetime", "Give times with a zone, e.g. 2026-03-02T07:00Z")
    return moment


@router.get("/audit-log", response_model=AuditPage)
def list_audit_log(
    session: ReadSession,
    sessions: AppSessions,
    clock: AppClock,
    user: Auditor,
    actor: Filter = None,
    action: Filter = None,
    subject_type: Filter = None,
    subject_id: Filter = None,
    since: Moment = None,
    until: Moment = None,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> AuditPage:
    """Records in chain order; filters combine; page with ``after_id``."""
    where = AuditFilter(actor, action, subject_type, subject_id, _aware(since), _aware(until))
    items = search(session, where, after_id, limit)
    page = AuditPage(
        items=[AuditRecordOut.model_validate(r) for r in items],
        next_after_id=items[-1].id if len(items) == limit else None,
    )
    asked = {k: v for k, v in asdict(where).items() if v is not None}
    with sessions.unit_of_work() as writer:
        record(
            writer,
            staff_actor(user),
            "audit_log.query",
            ("audit_log", None),
            clock(),
            after={"filters": asked, "after_id": after_id, "returned": len(items)},
        )
    return page


@router.get("/audit-log/verify", response_model=VerifyOut)
def verify_audit_log(
    session: ReadSession, sessions: AppSessions, clock: AppClock, user: Auditor
) -> VerifyOut:
    """Recompute every hash and link; name the first break (200 either way: read ``ok``)."""
    answer = VerifyOut.of(verify_chain(session))
    with sessions.unit_of_work() as writer:
        record(
            writer,
            staff_actor(user),
            "audit_log.verify",
            ("audit_log", None),
            clock(),
            after={
                "ok": answer.ok,
                "records_checked": answer.records_checked,
                "first_break": answer.first_break.model_dump() if answer.first_break else None,
            },
        )
    return answer
