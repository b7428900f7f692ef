"""Resolving a dispute of a bureau record under four eyes: an officer proposes ``upheld`` or
``rejected`` with the reason, another approves.

Upheld lifts the loan's notice or listing (``ListingState.LIFTED``: the next file carries
the account as if never listed and the loan is never noticed again); a dispute with nothing
to lift (never noticed, or the notice withdrawn) cannot be upheld: a wrong balance is
corrected in the ledger (a manual journal or a reversal, under their own four eyes), after
which the files carry it, and the dispute is then rejected with that explanation or upheld
if a listing also stood. Rejected changes nothing. Either way the dispute closes, its flag
leaves the next file, and the borrower is told by SMS.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.approvals.kinds import Approved, KindRules
from app.approvals.models import ApprovalKind
from app.clock import business_date
from app.crb.disputes import get_dispute
from app.crb.models import (
    Correction,
    CrbDispute,
    CrbListing,
    DisputeStatus,
    ListingState,
)
from app.errors import DomainError
from app.lending.models import Loan
from app.notifications.outbox import queue_sms
from ledger import Ledger

LIFTABLE = (
    ListingState.NOTICE_SENT,
    ListingState.LISTED,
    ListingState.CLEARED,
    ListingState.DELISTED,
)


class Outcome(enum.StrEnum):
    UPHELD = "upheld"
    REJECTED = "rejected"


class DisputeClosed(DomainError, code="dispute_closed", http_status=409):
    """The dispute was resolved already."""


class NothingToLift(DomainError, code="nothing_to_correct", http_status=409):
    """Upheld means lifting a notice or listing, and this loan has none standing."""


class DisputeHandler(KindRules):
    kind = ApprovalKind.CRB_DISPUTE
    effect = "crb.dispute_resolved"

    def prepare(self, session: Session, ledger: Ledger, asked: Mapping[str, Any]) -> dict[str, Any]:
        dispute = get_dispute(session, asked["dispute_id"])
        payload = {
            "dispute_id": dispute.id,
            "loan_id": dispute.loan_id,
            "outcome": Outcome(asked["outcome"]).value,
        }
        return {**payload, **self.check(session, ledger, payload)}

    def subject(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        return "crb_dispute", str(payload["dispute_id"])

    def check(self, session: Session, ledger: Ledger, payload: Mapping[str, Any]) -> dict[str, Any]:
        dispute = get_dispute(session, payload["dispute_id"], lock=True)
        if dispute.status != DisputeStatus.OPEN:
            raise DisputeClosed(f"Dispute {dispute.id} was {dispute.status} already")
        listing = _listing(session, dispute.loan_id)
        if payload["outcome"] == Outcome.UPHELD and (
            listing is None or listing.state not in LIFTABLE
        ):
            raise NothingToLift(
                "No notice or listing stands for this loan: correct a wrong balance in the "
                "ledger (it reaches the next file), then reject the dispute saying so"
            )
        return {"listing_state": None if listing is None else listing.state}

    def apply(self, approved: Approved) -> dict[str, Any]:
        session, _ledger, approval, _checker, now = approved.parts()
        dispute = get_dispute(session, approval.payload["dispute_id"], lock=True)
        upheld = approval.payload["outcome"] == Outcome.UPHELD
        if upheld:
            listing = _listing(session, dispute.loan_id)
            assert listing is not None  # checked in this transaction, under the lock
            listing.state = ListingState.LIFTED
            listing.closed_on = business_date(now)
            dispute.correction = Correction.LIFT_LISTING
        dispute.status = DisputeStatus.UPHELD if upheld else DisputeStatus.REJECTED
        dispute.resolved_at = now
        dispute.resolution_note = approval.reason
        dispute.approval_id = approval.id
        _tell(session, dispute, now)
        return {"status": dispute.status, "correction": dispute.correction}


def _listing(session: Session, loan_id: int) -> CrbListing | None:
    return session.scalar(select(CrbListing).where(CrbListing.loan_id == loan_id).with_for_update())


def _tell(session: Session, dispute: CrbDispute, now: datetime) -> None:
    account = session.scalar(select(Loan.account_number).where(Loan.id == dispute.loan_id))
    if dispute.status == DisputeStatus.UPHELD:
        text = (
            f"Mkopo: your dispute of loan {account}'s credit record is upheld. The bureaus get "
            "the corrected record in our next file."
        )
    else:
        text = (
            f"Mkopo: your dispute of loan {account}'s credit record is not upheld. See why in "
            "the app or call us."
        )
    queue_sms(session, dispute.borrower_id, f"crb-dispute:{dispute.id}:resolved", text, now)


CRB_DISPUTE = DisputeHandler()
