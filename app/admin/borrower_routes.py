"""``/admin/v1/borrowers``: find a borrower by phone or national ID, view them (masked),
freeze and unfreeze them, ask for a limit override (maker-checker).

Reading a borrower's record is personal data: every search and view is audited too (who
looked at whom), never with the number searched for.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from app.admin import borrower_views as staff_views
from app.admin.schemas import BorrowerOut, FreezeIn, LimitOverrideIn
from app.api import params
from app.api.bodies import ReasonIn
from app.api.deps import AppClock, AppSessions
from app.approvals.requests import ASKS, MakerAsks
from app.approvals.schemas import ApprovalOut
from app.audit.log import Actor, record, staff_actor
from app.borrowers.models import Borrower
from app.borrowers.service import get_borrower
from app.clock import Clock, business_date
from app.lending.limit_overrides import LIMIT_OVERRIDE
from app.security.fields import FieldCrypto
from app.staff.deps import ADMIN_PREFIX, Admin, Crypto, Maker, Reader

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: borrowers"])
SearchKey = Annotated[str | None, Query(min_length=1, max_length=20, pattern=params.PRINTABLE)]


@router.get("/borrowers", response_model=list[BorrowerOut])
def search_borrowers(
    sessions: AppSessions,
    clock: AppClock,
    crypto: Crypto,
    user: Reader,
    phone: SearchKey = None,
    national_id: SearchKey = None,
) -> list[BorrowerOut]:
    """Exactly one of ``phone`` or ``national_id``; at most one borrower matches."""
    if (phone is None) == (national_id is None):
        raise staff_views.InvalidSearch("Search by exactly one of phone or national_id")
    with sessions.unit_of_work() as session:
        if phone is not None:
            by, found = "phone", staff_views.find_by_phone(session, crypto, phone)
        else:
            assert national_id is not None
            by = "national_id"
            found = staff_views.find_by_national_id(session, crypto, national_id)
        record(
            session,
            staff_actor(user),
            "borrower.search",
            ("borrower", found.id if found else None),
            clock(),
            after={"by": by, "found": found is not None},
        )
        return [] if found is None else [_view(session, crypto, found, clock)]


@router.get("/borrowers/{borrower_id}", response_model=BorrowerOut)
def view_borrower(
    borrower_id: params.RecordId,
    sessions: AppSessions,
    clock: AppClock,
    crypto: Crypto,
    user: Reader,
) -> BorrowerOut:
    with sessions.unit_of_work() as session:
        borrower = get_borrower(session, borrower_id)
        record(session, staff_actor(user), "borrower.view", ("borrower", borrower.id), clock())
        return _view(session, crypto, borrower, clock)


@router.post("/borrowers/{borrower_id}/freeze", response_model=BorrowerOut)
def freeze(
    borrower_id: params.RecordId,
    body: FreezeIn,
    sessions: AppSessions,
    clock: AppClock,
    crypto: Crypto,
    user: Maker,
) -> BorrowerOut:
    """Stop new loans for this borrower (audited with the reason)."""
    with sessions.unit_of_work() as session:
        before = staff_views.freeze_state(get_borrower(session, borrower_id))
        borrower = staff_views.freeze(session, borrower_id, body.reason, clock())
        _audit(session, staff_actor(user), "borrower.freeze", borrower, before, body.reason, clock)
        return _view(session, crypto, borrower, clock)


@router.post("/borrowers/{borrower_id}/unfreeze", response_model=BorrowerOut)
def unfreeze(
    borrower_id: params.RecordId,
    body: ReasonIn,
    sessions: AppSessions,
    clock: AppClock,
    crypto: Crypto,
    user: Admin,
) -> BorrowerOut:
    """Lift a freeze (not one held by a loan in default)."""
    with sessions.unit_of_work() as session:
        before = staff_views.freeze_state(get_borrower(session, borrower_id))
        borrower = staff_views.unfreeze(session, borrower_id)
        actor = staff_actor(user)
        _audit(session, actor, "borrower.unfreeze", borrower, before, body.reason, clock)
        return _view(session, crypto, borrower, clock)


@router.post("/borrowers/{borrower_id}/limit-overrides", **ASKS)
def request_limit_override(
    borrower_id: params.RecordId, body: LimitOverrideIn, asks: MakerAsks
) -> ApprovalOut:
    """Ask for the borrower's limit to be set by hand; an admin approves it."""
    asked = {"borrower_id": borrower_id, "limit_minor": body.limit_minor}
    return asks(LIMIT_OVERRIDE, asked, body.reason)


def _view(session: Session, crypto: FieldCrypto, borrower: Borrower, clock: Clock) -> BorrowerOut:
    return BorrowerOut.of(
        borrower,
        staff_views.masked_identity(crypto, borrower),
        staff_views.current_loan(session, borrower.id),
        business_date(clock()),
    )


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    borrower: Borrower,
    before: dict[str, object],
    reason: str,
    clock: Clock,
) -> None:
    after = {**staff_views.freeze_state(borrower), "reason": reason}
    record(session, actor, action, ("borrower", borrower.id), clock(), before=before, after=after)
