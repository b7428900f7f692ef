"""``POST /admin/v1/journals``: ask for a manual journal entry (maker-checker).

Admins only, on both sides: a journal moves the fund's own accounts (float, capital,
income, losses), which is accounting, not credit work.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.accounting.manual_journals import MANUAL_JOURNAL
from app.accounting.schemas import JournalIn
from app.approvals.requests import ASKS, MoneyAdminAsks
from app.approvals.schemas import ApprovalOut
from app.staff.deps import ADMIN_PREFIX

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: manual journals"])


@router.post("/journals", **ASKS)
def request_journal(body: JournalIn, asks: MoneyAdminAsks) -> ApprovalOut:
    """Balanced lines by chart code; validated now and again when another admin approves."""
    asked = body.model_dump(mode="json", exclude={"reason"})
    return asks(MANUAL_JOURNAL, asked, body.reason)
