"""The facts of the book a bureau file reports, read from the loans, their instalments and
repayments, the borrowers (decrypted with the field keys) and the listings.

Which loans (docs/crb.md): a monthly file carries every loan ever disbursed on or before the
file date (open or closed) but cancelled and written-off ones; a daily file carries the open
ones and those closed in the last ``DAILY_CLOSED_LOOKBACK_DAYS`` days, so a closing is sent
even when a day's run was missed. The book is read as it stands when the file is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.borrowers.models import Borrower
from app.clock import EAT, business_date
from app.crb.models import CrbDispute, CrbListing, DisputeStatus, ListingState
from app.crb.records import AccountFacts, ConsumerFacts
from app.lending.instalments import days_past_due, instalments_of, is_instalment_loan
from app.lending.models import OPEN_STATUSES, Loan, LoanStatus, Repayment
from app.security.fields import FieldCipher, UndecryptableField

DAILY_CLOSED_LOOKBACK_DAYS = 7
BATCH = 500
REPORTED_CLOSED = (LoanStatus.REPAID, LoanStatus.WRITTEN_OFF)
STANDING_LISTINGS = (ListingState.LISTED,)


class UnreadableBorrower(ValueError):
    """A borrower whose identity does not decrypt: no file is made without their own data."""


def loans_query(kind: str, as_of: date) -> Select[Loan]:
    reported = select(Loan).where(Loan.disbursed_on.is_not(None), Loan.disbursed_on <= as_of)
    if kind == "monthly":
        statuses = (*OPEN_STATUSES, *REPORTED_CLOSED)
        return reported.where(Loan.status.in_(statuses)).order_by(Loan.id)
    since = datetime.combine(as_of - timedelta(days=DAILY_CLOSED_LOOKBACK_DAYS), time(), EAT)
    closed_lately = (Loan.status.in_(REPORTED_CLOSED)) & (Loan.closed_at >= since)
    return reported.where(or_(Loan.status.in_(OPEN_STATUSES), closed_lately)).order_by(Loan.id)


def account_facts(
    session: Session, kind: str, as_of: date, national_ids: dict[int, str]
) -> Iterator[AccountFacts]:
    """The facts of each reported loan, a batch of loans at a time (their listings and last
    payments read in one query each per batch)."""
    loans = session.scalars(loans_query(kind, as_of).execution_options(yield_per=BATCH))
    for batch in loans.partitions(BATCH):
        ids = [loan.id for loan in batch]
        listings = {
            listing.loan_id: listing
            for listing in session.scalars(select(CrbListing).where(CrbListing.loan_id.in_(ids)))
        }
        disputed = set(
            session.scalars(
                select(CrbDispute.loan_id).where(
                    CrbDispute.loan_id.in_(ids), CrbDispute.status == DisputeStatus.OPEN
                )
            )
        )
        last_paid: dict[int, datetime] = dict(
            session.execute(
                select(Repayment.loan_id, func.max(Repayment.received_at))
                .where(Repayment.loan_id.in_(ids))
                .group_by(Repayment.loan_id)
            ).all()
        )
        for loan in batch:
            yield _facts(
                session,
                loan,
                (listings.get(loan.id), last_paid.get(loan.id), loan.id in disputed),
                as_of,
                national_ids[loan.borrower_id],
            )


def _facts(
    session: Session,
    loan: Loan,
    known: tuple[CrbListing | None, datetime | None, bool],
    as_of: date,
    national_id: str,
) -> AccountFacts:
    """``known``: the loan's listing and its latest repayment's time, if any, and whether a
    dispute of its record is open. A listing lifted after an upheld dispute is as none."""
    assert loan.disbursed_on is not None
    listing, last_paid, disputed = known
    if listing is not None and listing.state == ListingState.LIFTED:
        listing = None
    open_ = loan.status in OPEN_STATUSES
    written_off = loan.status == LoanStatus.WRITTEN_OFF
    dpd = days_past_due(session, loan, as_of) if open_ else 0
    balance = loan.outstanding_minor if open_ else 0
    if is_instalment_loan(loan):
        rows = instalments_of(session, loan.id)
        due = [r for r in rows if r.due_on < as_of and not r.is_paid]
        arrears = sum(r.total_minor - r.paid_minor for r in due) if open_ else 0
        count = len(due) if open_ or written_off else 0
        instalment = rows[0].total_minor if rows else loan.principal_disbursed_minor
        frequency = str(loan.product_terms.get("schedule_frequency", "once")).upper()
        oldest_due = min((r.due_on for r in due), default=None)
    else:
        arrears, count = (balance, 1) if dpd > 0 or written_off else (0, 0)
        instalment, frequency = loan.principal_disbursed_minor, "ONCE"
        oldest_due = loan.due_on
    if written_off:  # still owed: everything written off is in arrears since the oldest due
        balance = arrears = loan.written_off_minor or 0
        dpd = 0 if oldest_due is None else max((as_of - oldest_due).days, 0)
    return AccountFacts(
        borrower_id=loan.borrower_id,
        national_id=national_id,
        account_number=loan.account_number,
        product_code=str(loan.product_terms.get("code", "loan")),
        opened_on=loan.disbursed_on,
        principal_minor=loan.principal_disbursed_minor,
        instalment_minor=instalment,
        frequency=frequency,
        balance_minor=balance,
        arrears_minor=min(arrears, balance),
        instalments_in_arrears=count,
        days_in_arrears=dpd,
        closed_on=None if open_ or loan.closed_at is None else business_date(loan.closed_at),
        written_off=written_off,
        last_paid_on=None if last_paid is None else business_date(last_paid),
        listed_on=None if listing is None else listing.listed_on,
        listing_active=listing is not None and listing.state in STANDING_LISTINGS,
        disputed=disputed,
        as_of=as_of,
    )


def consumer_facts(
    session: Session, cipher: FieldCipher, borrower_ids: list[int], as_of: date
) -> list[ConsumerFacts]:
    found = []
    for start in range(0, len(borrower_ids), BATCH):
        chunk = borrower_ids[start : start + BATCH]
        for borrower in session.scalars(
            select(Borrower).where(Borrower.id.in_(chunk)).order_by(Borrower.id)
        ):
            found.append(_consumer(cipher, borrower, as_of))
    return found


def _consumer(cipher: FieldCipher, borrower: Borrower, as_of: date) -> ConsumerFacts:
    try:
        return ConsumerFacts(
            borrower_id=borrower.id,
            national_id=cipher.decrypt(borrower.national_id_enc),
            full_name=cipher.decrypt(borrower.full_name_enc),
            date_of_birth=date.fromisoformat(cipher.decrypt(borrower.date_of_birth_enc)),
            phone=cipher.decrypt(borrower.phone_enc),
            as_of=as_of,
        )
    except (UndecryptableField, ValueError) as exc:
        raise UnreadableBorrower(f"borrower {borrower.id}: {type(exc).__name__}") from None


def borrower_ids(session: Session, kind: str, as_of: date) -> list[int]:
    """The borrowers of the reported loans: the consumer file's records."""
    loans = loans_query(kind, as_of).order_by(None).subquery()
    return list(
        session.scalars(select(loans.c.borrower_id).distinct().order_by(loans.c.borrower_id))
    )
