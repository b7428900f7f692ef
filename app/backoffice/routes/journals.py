"""``POST /admin/v1/journals``: ask for a manual journal entry (maker-checker).

Admins only, on both sides: a journal moves the fund's own accounts (float, capital,
income, losses), which is accounting, not credit work.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import AppClock
from app.audit.log import staff_actor
from app.backoffice.approvals import submit
from app.backoffice.deps import Admin, IdempotencyKey
from app.backoffice.kinds import MANUAL_JOURNAL
from app.backoffice.routes.common import PREFIX, AppSessions, answer_submitted
from app.backoffice.schemas import ApprovalOut, JournalIn
from ledger import Ledger

router = APIRouter(prefix=PREFIX, tags=["admin: manual journals"])


@router.post(
    "/journals",
    response_model=ApprovalOut,
    status_code=201,
    responses={200: {"description": "The same request, replayed with its Idempotency-Key"}},
)
def request_journal(
    body: JournalIn,
    sessions: AppSessions,
    clock: AppClock,
    user: Admin,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApprovalOut:
    """Balanced lines by chart code; validated now and again when another admin approves."""
    asked = body.model_dump(mode="json", exclude={"reason"})
    with sessions.unit_of_work() as session:
        submitted = submit(
            session,
            Ledger(session, clock),
            MANUAL_JOURNAL,
            asked,
            body.reason,
            staff_actor(user),
            clock(),
            idempotency_key,
        )
        return answer_submitted(response, submitted)
