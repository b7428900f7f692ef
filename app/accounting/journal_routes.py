"""``POST /admin/v1/journals``: ask for a manual journal entry (maker-checker).

Admins only, on both sides: a journal moves the fund's own accounts (float, capital,
income, losses), which is accounting, not credit work.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.accounting.manual_journals import MANUAL_JOURNAL
from app.accounting.schemas import JournalIn
from app.api.deps import AppClock, AppSessions
from app.approvals.engine import Ask
from app.approvals.requests import REPLAY_RESPONSES, request_approval
from app.approvals.schemas import ApprovalOut
from app.staff.deps import ADMIN_PREFIX, IdempotencyKey, MoneyAdmin

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: manual journals"])


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
        sessions, clock, user, Ask(MANUAL_JOURNAL, asked, body.reason, idempotency_key), response
    )
