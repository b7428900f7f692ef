"""``/admin/v1/borrowers/{id}``: a borrower's consents, and everything the fund holds about
them for support to answer an access request made by phone or in person (docs/backoffice.md).

The export is the borrower's personal data in clear: admins and support only (an auditor
reads the book, not identities), and every export is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.api import params
from app.api.deps import AppClock, AppSessions
from app.audit.log import record, staff_actor
from app.borrowers.consents import consents_of
from app.borrowers.schemas import ConsentOut
from app.borrowers.service import get_borrower
from app.privacy.export import borrower_data
from app.staff.auth import require_roles
from app.staff.deps import ADMIN_PREFIX, Crypto, Reader
from app.staff.models import Role, StaffUser

router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin: borrowers"])
DataOfficer = Annotated[StaffUser, Depends(require_roles(Role.ADMIN, Role.SUPPORT))]


@router.get("/borrowers/{borrower_id}/consents", response_model=list[ConsentOut])
def borrower_consents(
    borrower_id: params.RecordId, sessions: AppSessions, _: Reader
) -> list[ConsentOut]:
    with sessions.reader() as session:
        get_borrower(session, borrower_id)
        return [ConsentOut.model_validate(c) for c in consents_of(session, borrower_id)]


@router.get("/borrowers/{borrower_id}/data")
def borrower_data_export(
    borrower_id: params.RecordId,
    sessions: AppSessions,
    clock: AppClock,
    crypto: Crypto,
    user: DataOfficer,
) -> dict[str, Any]:
    """Everything held about the borrower (as ``GET /api/v1/me/data`` gives them)."""
    with sessions.unit_of_work() as session:
        now = clock()
        data = borrower_data(session, crypto.cipher, borrower_id, now)
        record(session, staff_actor(user), "borrower.data_exported", ("borrower", borrower_id), now)
        return data
