"""The owner of a business: an opted-in borrower in good standing, and their record."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.borrowers.service import get_borrower, require_opted_in
from app.lending.models import Loan, LoanStatus
from app.sme import errors

BAD_ENDINGS = (LoanStatus.DEFAULTED.value, LoanStatus.WRITTEN_OFF.value)


@dataclass(frozen=True, slots=True)
class OwnerRecord:
    repaid_on_time: int
    ever_defaulted: bool


def owner_record(session: Session, borrower: Borrower) -> OwnerRecord:
    defaulted = session.scalar(
        select(func.count())
        .select_from(Loan)
        .where(
            Loan.borrower_id == borrower.id,
            Loan.status.in_(BAD_ENDINGS) | Loan.defaulted_at.is_not(None),
        )
    )
    return OwnerRecord(borrower.loans_repaid_on_time, bool(defaulted))


def owner_in_good_standing(session: Session, borrower_id: int, *, lock: bool = False) -> Borrower:
    """The owner, opted in, not frozen, never defaulted; else a clear refusal."""
    borrower = get_borrower(session, borrower_id, lock=lock)
    require_opted_in(borrower)
    if borrower.frozen_at is not None:
        raise errors.OwnerNotInGoodStanding("Your account is frozen")
    if owner_record(session, borrower).ever_defaulted:
        raise errors.OwnerNotInGoodStanding("A loan of yours defaulted: no SME loan")
    return borrower
