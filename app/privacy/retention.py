"""The retention policy, where the code can hold it (docs/privacy.md has the whole policy).

A borrower's identity is erased five years after the relationship ended: they opted out,
owe nothing and are owed nothing (no open loan, no savings, no credit balance), and five
years have passed since both their opt-out and their last loan's closing (repaid or written
off: the CRB Regulations' five years after final repayment or write-off). Erasing replaces
the encrypted identity (national ID, phone, name, date of birth), the blind indexes and the
PIN hash with markers, clears the day of majority and the texts of their SMS; it keeps the
row, its loans and the ledger's entries (the books never forget, and they hold no identity).
The national ID and the number are free again: coming back is joining anew.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower, BorrowerStatus
from app.lending.models import OPEN_STATUSES, Loan
from app.notifications.models import SmsMessage

RETENTION = timedelta(days=5 * 365 + 1)
"""Five years, leap day included."""
ERASED = "erased"
BATCH = 200


def erase_due(session: Session, now: datetime, limit: int = BATCH) -> list[int]:
    """Erase the identities due (a bounded batch); their ids."""
    cutoff = now - RETENTION
    recent_or_open_loan = exists().where(
        Loan.borrower_id == Borrower.id,
        or_(Loan.status.in_(OPEN_STATUSES), Loan.closed_at > cutoff),
    )
    due = list(
        session.scalars(
            select(Borrower.id)
            .where(
                Borrower.status == BorrowerStatus.OPTED_OUT,
                Borrower.erased_at.is_(None),
                Borrower.opted_out_at < cutoff,
                Borrower.savings_long_minor + Borrower.savings_short_minor == 0,
                Borrower.credit_balance_minor == 0,
                ~recent_or_open_loan,
            )
            .order_by(Borrower.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for borrower_id in due:
        session.execute(
            update(Borrower)
            .where(Borrower.id == borrower_id)
            .values(
                national_id_index=f"{ERASED}:n:{borrower_id}",
                phone_index=f"{ERASED}:p:{borrower_id}",
                national_id_enc=ERASED,
                phone_enc=ERASED,
                full_name_enc=ERASED,
                date_of_birth_enc=ERASED,
                pin_hash=ERASED,
                adult_on=None,
                erased_at=now,
            )
        )
    if due:
        session.execute(
            update(SmsMessage).where(SmsMessage.borrower_id.in_(due)).values(text=ERASED)
        )
    session.flush()
    return due
