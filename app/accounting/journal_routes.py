"""``POST /admin/v1/journals``: ask for a manual journal entry (maker-checker).

Admins only, on both sides: a journal moves the fund's own accounts (float, capital,
income, losses), which is accounting, not credit work.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.admin.approval_kinds import MANUAL_JOURNAL
from app.admin.schemas import ApprovalOut, JournalIn
from app.api.deps import AppClock
from app.approvals.requests import PREFIX, REPLAY_RESPONSES, AppSessions, request_approval
from app.staff.deps import IdempotencyKey, MoneyAdmin

router = APIRouter(prefix=PREFIX, tags=["admin: manual journals"])


@router.post(
    "/journals",
    response_model=ApprovalOut,
    status_code=201,
    responses=REPLAY_RESPONSES,
)
def request_journal(
    body: JournalIn,
    sessions: AppSessions,
    clock: AppClock,
    user: MoneyAdmin,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApprovalOut:
    """Balanced lines by chart code; validated now and again when another admin approves."""
    asked = body.model_dump(mode="json", exclude={"reason"})
    return request_approval(
        sessions, clock, user, MANUAL_JOURNAL, asked, body.reason, idempotency_key, response
    )
