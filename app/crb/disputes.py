"""A borrower disputes the bureau record of one of their loans (app, USSD, or through support).

Opening flags the record: every file from the next one on carries ``dispute_flag`` Y for the
loan until staff resolve it (``app.crb.dispute_kind``, under four eyes): upheld, the loan's
notice or listing is lifted and the next file carries the corrected status; rejected, nothing
changes. The borrower is told by SMS when it opens (with the date they will hear by: 20 days,
the CRB Regulations' time to answer) and when it is resolved.

Rules: only a loan of the borrower's own that has been reported (paid out); one open dispute
per loan (a unique index holds it under races).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.clock import business_date
from app.crb.models import CrbDispute, DisputeChannel, DisputeReason, DisputeStatus
from app.errors import DomainError
from app.lending.errors import LoanNotFound
from app.lending.models import Loan
from app.notifications.outbox import queue_sms

RESPOND_DAYS = 20
NOTE_CHARS = 300
PAGE = 100


class DisputeAlreadyOpen(DomainError, code="dispute_open", http_status=409):
    """A dispute of this loan's record is already open: staff are looking at it."""


class LoanNotReported(DomainError, code="loan_not_reported", http_status=409):
    """The loan was never paid out, so no bureau has a record of it to dispute."""


class DisputeNotFound(DomainError, code="dispute_not_found", http_status=404): ...


@dataclass(frozen=True, slots=True)
class Complaint:
    borrower_id: int
    loan_id: int
    reason: DisputeReason
    note: str | None
    channel: DisputeChannel


def open_dispute(session: Session, complaint: Complaint, now: datetime) -> CrbDispute:
    loan = session.get(Loan, complaint.loan_id)
    if loan is None or loan.borrower_id != complaint.borrower_id:
        raise LoanNotFound(f"No loan {complaint.loan_id} of yours")
    if loan.disbursed_on is None:
        raise LoanNotReported(f"Loan {loan.account_number} was never paid out: nothing to dispute")
    respond_by = business_date(now) + timedelta(days=RESPOND_DAYS)
    dispute = CrbDispute(
        borrower_id=complaint.borrower_id,
        loan_id=loan.id,
        reason=complaint.reason,
        note=(complaint.note or None) and complaint.note[:NOTE_CHARS],
        channel=complaint.channel,
        status=DisputeStatus.OPEN,
        opened_at=now,
        respond_by=respond_by,
    )
    try:
        with session.begin_nested():
            session.add(dispute)
            session.flush()
    except IntegrityError:
        raise DisputeAlreadyOpen(
            f"A dispute of loan {loan.account_number}'s record is already open"
        ) from None
    queue_sms(
        session,
        complaint.borrower_id,
        f"crb-dispute:{dispute.id}:opened",
        f"Mkopo: we have your dispute of the credit record of loan {loan.account_number}. "
        f"The bureaus see it marked disputed; we will reply by "
        f"{respond_by.strftime('%d-%m-%Y')}.",
        now,
    )
    return dispute


def get_dispute(session: Session, dispute_id: int, lock: bool = False) -> CrbDispute:
    dispute = session.get(CrbDispute, dispute_id, with_for_update=lock, populate_existing=lock)
    if dispute is None:
        raise DisputeNotFound(f"No dispute {dispute_id}")
    return dispute


def disputes_of(session: Session, borrower_id: int) -> Sequence[CrbDispute]:
    return session.scalars(
        select(CrbDispute)
        .where(CrbDispute.borrower_id == borrower_id)
        .order_by(CrbDispute.id.desc())
        .limit(PAGE)
    ).all()


def list_disputes(
    session: Session, status: DisputeStatus | None, after_id: int, limit: int
) -> Sequence[CrbDispute]:
    """Oldest first (the first to answer), ``after_id`` for the next page."""
    query = select(CrbDispute).where(CrbDispute.id > after_id)
    if status is not None:
        query = query.where(CrbDispute.status == status)
    return session.scalars(query.order_by(CrbDispute.id).limit(limit)).all()
