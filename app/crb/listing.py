"""Negative listing by the rules (CRB Regulations 2020, DCP Regulations 2022; docs/crb.md).

One run per business date (``run_listings``), idempotent (one listing row per loan, SMS
dedupe keys per loan and step), in this order:

1. A defaulted loan owing more than KES 1,000 with no listing gets a pre-listing notice: an
   SMS with the amount and the listing date (``NOTICE_DAYS`` = 30 days later), and a listing
   row in ``notice_sent``.
2. A notice whose listing date has come: still defaulted and owing more than KES 1,000 ->
   ``listed`` (the account records carry the negative status from this file on) and a
   post-listing SMS in the same run; otherwise ``withdrawn``, never listed.
3. A standing listing whose loan is repaid -> ``cleared`` (the next file says CLEARED); one
   still owing but KES 1,000 or less -> ``delisted`` (those below the threshold are delisted).

A loan at or under KES 1,000 never gets a notice; the database refuses a listing row for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.crb.models import CrbListing, ListingState
from app.lending.models import OPEN_STATUSES, Loan, LoanStatus
from app.money import kes
from app.notifications.outbox import queue_sms
from integrations.crb.validation import LISTING_THRESHOLD_MINOR

NOTICE_DAYS = 30
BUREAU_NAMES = "TransUnion, Metropol and Creditinfo"


@dataclass
class ListingSummary:
    noticed: int = 0
    listed: int = 0
    withdrawn: int = 0
    cleared: int = 0
    delisted: int = 0


def run_listings(session: Session, today: date, now: datetime) -> ListingSummary:
    summary = ListingSummary()
    _send_notices(session, today, now, summary)
    _list_due(session, today, now, summary)
    _close_standing(session, today, summary)
    session.flush()
    return summary


def _send_notices(session: Session, today: date, now: datetime, summary: ListingSummary) -> None:
    noticed = select(CrbListing.loan_id)
    for loan in session.scalars(
        select(Loan)
        .where(Loan.status == LoanStatus.DEFAULTED, Loan.id.not_in(noticed))
        .order_by(Loan.id)
    ):
        if loan.outstanding_minor <= LISTING_THRESHOLD_MINOR:
            continue
        listing_on = today + timedelta(days=NOTICE_DAYS)
        session.add(
            CrbListing(
                loan_id=loan.id,
                borrower_id=loan.borrower_id,
                state=ListingState.NOTICE_SENT,
                noticed_amount_minor=loan.outstanding_minor,
                notice_on=today,
                listing_on=listing_on,
                created_at=now,
            )
        )
        text = (
            f"Mkopo: loan {loan.account_number} is in default, {kes(loan.outstanding_minor)} "
            f"owed. Unless it is repaid, it will be reported to the credit reference bureaus "
            f"({BUREAU_NAMES}) as a negative listing on {listing_on:%d %b %Y}."
        )
        queue_sms(session, loan.borrower_id, f"crb:notice:loan:{loan.id}", text, now)
        summary.noticed += 1


def _with_loans(
    session: Session, state: ListingState, *where: ColumnElement[bool]
) -> list[tuple[CrbListing, Loan]]:
    rows = session.execute(
        select(CrbListing, Loan)
        .join(Loan, Loan.id == CrbListing.loan_id)
        .where(CrbListing.state == state, *where)
        .order_by(CrbListing.id)
    )
    return [(listing, loan) for listing, loan in rows]


def _list_due(session: Session, today: date, now: datetime, summary: ListingSummary) -> None:
    due = CrbListing.listing_on <= today
    for listing, loan in _with_loans(session, ListingState.NOTICE_SENT, due):
        owing = loan.outstanding_minor
        if loan.status != LoanStatus.DEFAULTED or owing <= LISTING_THRESHOLD_MINOR:
            listing.state, listing.closed_on = ListingState.WITHDRAWN, today
            summary.withdrawn += 1
            continue
        listing.state, listing.listed_on, listing.listed_amount_minor = (
            ListingState.LISTED,
            today,
            owing,
        )
        text = (
            f"Mkopo: loan {loan.account_number} ({kes(owing)} owed) was reported to the credit "
            f"reference bureaus ({BUREAU_NAMES}) as a negative listing on {today:%d %b %Y}. "
            f"Repay it and the next report shows it cleared."
        )
        queue_sms(session, loan.borrower_id, f"crb:listed:loan:{loan.id}", text, now)
        summary.listed += 1


def _close_standing(session: Session, today: date, summary: ListingSummary) -> None:
    for listing, loan in _with_loans(session, ListingState.LISTED):
        if loan.status == LoanStatus.REPAID:
            listing.state, listing.closed_on = ListingState.CLEARED, today
            summary.cleared += 1
        elif loan.status in OPEN_STATUSES and loan.outstanding_minor <= LISTING_THRESHOLD_MINOR:
            listing.state, listing.closed_on = ListingState.DELISTED, today
            summary.delisted += 1


def listings_of(session: Session, borrower_id: int) -> list[tuple[CrbListing, str]]:
    """The borrower's notices and listings, newest first, with each loan's account number."""
    rows = session.execute(
        select(CrbListing, Loan.account_number)
        .join(Loan, Loan.id == CrbListing.loan_id)
        .where(CrbListing.borrower_id == borrower_id)
        .order_by(CrbListing.id.desc())
    )
    return [(listing, str(account)) for listing, account in rows]
