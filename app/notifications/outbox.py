"""Queue SMS in the caller's transaction (idempotent by dedupe key); send them after commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.clock import Clock
from app.db.session import Sessions
from app.db.upsert import insert_for
from app.notifications.models import SmsMessage
from app.security.fields import FieldCipher
from integrations.sms.sender import SmsSender

SEND_BATCH = 200
MAX_ATTEMPTS = 5


def queue_sms(
    session: Session, borrower_id: int, dedupe_key: str, text: str, now: datetime
) -> None:
    session.execute(
        insert_for(session, SmsMessage)
        .values(
            dedupe_key=dedupe_key,
            borrower_id=borrower_id,
            text=text,
            status="pending",
            attempts=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


@dataclass(frozen=True, slots=True)
class QueuedSms:
    id: int
    phone_enc: str
    text: str


def pending_messages(session: Session, limit: int = SEND_BATCH) -> list[QueuedSms]:
    rows = session.execute(
        select(SmsMessage.id, Borrower.phone_enc, SmsMessage.text)
        .join(Borrower, Borrower.id == SmsMessage.borrower_id)
        .where(SmsMessage.status == "pending")
        .order_by(SmsMessage.id)
        .limit(limit)
    ).all()
    return [QueuedSms(r.id, r.phone_enc, r.text) for r in rows]


def mark_sent(session: Session, sms_id: int, provider_message_id: str, now: datetime) -> None:
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == sms_id)
        .values(
            status="sent",
            sent_at=now,
            provider_message_id=provider_message_id,
            attempts=SmsMessage.attempts + 1,
        )
    )


def mark_failed_attempt(session: Session, sms_id: int) -> None:
    """Count a failed send; give up after ``MAX_ATTEMPTS``."""
    session.execute(
        update(SmsMessage).where(SmsMessage.id == sms_id).values(attempts=SmsMessage.attempts + 1)
    )
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == sms_id, SmsMessage.attempts >= MAX_ATTEMPTS)
        .values(status="failed")
    )


def send_pending(
    sessions: Sessions,
    sender: SmsSender,
    cipher: FieldCipher,
    clock: Clock,
    limit: int = SEND_BATCH,
) -> int:
    """Send queued messages, each provider call outside any transaction (at least once: a
    crash between sending and recording re-sends on the next run)."""
    with sessions.reader() as session:
        queued = pending_messages(session, limit)
    for sms in queued:
        try:
            message_id = sender.send(cipher.decrypt(sms.phone_enc), sms.text)
        except Exception:
            with sessions.unit_of_work() as session:
                mark_failed_attempt(session, sms.id)
            continue
        with sessions.unit_of_work() as session:
            mark_sent(session, sms.id, message_id, clock())
    return len(queued)
