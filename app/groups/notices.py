"""The SMS a group sends: an invitation, and a request to approve (queued in the caller's
transaction, once per dedupe key; the sender sends them after commit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.approvals.models import ApprovalRequest
from app.money import kes
from app.notifications.outbox import queue_sms


def invited(
    session: Session, borrower_id: int, membership_id: int, group: str, role: str, now: datetime
) -> None:
    as_what = "a member" if role == "member" else f"the {role}"
    queue_sms(
        session,
        borrower_id,
        f"group-invite:{membership_id}",
        f"You are invited to join {group} as {as_what}. Dial the USSD code and choose "
        "6. Groups, or open the app, to accept or decline.",
        now,
    )


def approval_asked(
    session: Session,
    borrower_id: int,
    request: ApprovalRequest,
    group: str,
    gate: str,
    now: datetime,
) -> None:
    amount = kes(int(request.payload["amount_minor"]))
    queue_sms(
        session,
        borrower_id,
        f"group-approval:{request.id}:{borrower_id}",
        f"{group} asks you to approve {gate} of {amount} before "
        f"{request.expires_at:%d %b %H:%M} UTC. Dial the USSD code and choose 6. Groups, or "
        "open the app.",
        now,
    )
