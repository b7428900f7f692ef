"""The signed-in borrower's rights over their data: their consents, the notices before a
bureau listing and the listings, disputes of their bureau records, and everything the fund
holds about them (docs/app-api.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import AppClock, ReadSession
from app.borrowers.consents import consents_of
from app.borrowers.schemas import ConsentOut
from app.crb.disputes import Complaint, disputes_of, open_dispute
from app.crb.listing import listings_of
from app.crb.models import DisputeChannel
from app.crb.schemas import DisputeIn, DisputeOut, ListingOut
from app.mobile.auth import CurrentBorrower
from app.mobile.deps import AppSessions, BoundedBodyRoute
from app.mobile.ports import AppPorts
from app.privacy.export import borrower_data

router = APIRouter(route_class=BoundedBodyRoute, tags=["app: your data"])


@router.get("/me/consents", summary="The terms you accepted: which version, when, where")
def my_consents(owner: CurrentBorrower, session: ReadSession) -> list[ConsentOut]:
    return [ConsentOut.model_validate(c) for c in consents_of(session, owner.borrower_id)]


@router.get("/me/disputes", summary="Your disputes of your credit bureau records, newest first")
def my_disputes(owner: CurrentBorrower, session: ReadSession) -> list[DisputeOut]:
    return [DisputeOut.model_validate(d) for d in disputes_of(session, owner.borrower_id)]


@router.post(
    "/me/disputes",
    status_code=201,
    summary="Dispute what the credit bureaus were told about one of your loans",
    responses={409: {"description": "A dispute of this loan is open, or it was never paid out"}},
)
def dispute(
    body: DisputeIn, owner: CurrentBorrower, sessions: AppSessions, clock: AppClock
) -> DisputeOut:
    complaint = Complaint(
        owner.borrower_id, body.loan_id, body.reason, body.note, DisputeChannel.APP
    )
    with sessions.unit_of_work() as session:
        return DisputeOut.model_validate(open_dispute(session, complaint, clock()))


@router.get(
    "/me/credit-bureau",
    summary="Notices before a credit bureau listing, and the listings, of your loans",
)
def my_listings(owner: CurrentBorrower, session: ReadSession) -> list[ListingOut]:
    return [
        ListingOut(
            account_number=account,
            state=listing.state,
            noticed_amount_minor=listing.noticed_amount_minor,
            notice_on=listing.notice_on,
            listing_on=listing.listing_on,
            listed_on=listing.listed_on,
            closed_on=listing.closed_on,
        )
        for listing, account in listings_of(session, owner.borrower_id)
    ]


@router.get("/me/data", summary="Everything Mkopo holds about you, as JSON")
def my_data(
    owner: CurrentBorrower, session: ReadSession, ports: AppPorts, clock: AppClock
) -> dict[str, Any]:
    return borrower_data(session, ports.cipher, owner.borrower_id, clock())
