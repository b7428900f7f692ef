"""``POST /console/borrowers/{id}/limit-override``: a maker (admin or credit officer) asks for
a borrower's limit to be set by hand, through the admin API's own route function: the same
four-eyes request, which another officer then decides in the approvals inbox."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from app.admin import borrower_routes as admin_borrowers
from app.admin.schemas import LimitOverrideIn
from app.api import params
from app.api.deps import AppClock, AppSessions
from app.approvals.requests import Asking
from app.approvals.schemas import ApprovalOut
from app.clock import Clock
from app.console.auth import PREFIX, MakerPost, Signed
from app.console.borrower_routes import borrower_page
from app.console.refusals import REFUSALS, said
from app.errors import DomainError

router = APIRouter(prefix=PREFIX, include_in_schema=False)
_KES = re.compile(r"(\d{1,13})(?:\.(\d{1,2}))?")


class InvalidAmount(DomainError, code="invalid_amount", http_status=422):
    """Not an amount of shillings with at most two decimals."""


def kes_to_minor(text: str) -> int:
    """``2,345.50`` -> 234550 cents; InvalidAmount for anything else."""
    found = _KES.fullmatch(text.strip().replace(",", ""))
    if found is None:
        raise InvalidAmount("Give the amount in KES, e.g. 2500 or 2500.50")
    shillings, cents = found.group(1), (found.group(2) or "").ljust(2, "0")
    return int(shillings) * 100 + int(cents)


def asking(sessions: AppSessions, clock: Clock, signed: Signed) -> Asking:
    """The signed-in maker's ``Asking``, as the API's ``MakerAsks`` gives it (no
    Idempotency-Key: the console's buttons are disabled once a form is sent)."""
    return Asking(sessions, clock, signed.user, Response(), idempotency_key=None)


def asked_notice(asked: ApprovalOut) -> str:
    return f"Asked (request #{asked.id}, {asked.kind}): another officer decides it in the inbox"


@router.post("/borrowers/{borrower_id}/limit-override")
def request_limit_override(
    borrower_id: params.RecordId,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: MakerPost,
    limit_kes: Annotated[str, Form(max_length=24)] = "",
    reason: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    try:
        body = LimitOverrideIn(reason=reason, limit_minor=kes_to_minor(limit_kes))
        asked = admin_borrowers.request_limit_override(
            borrower_id, body, asking(sessions, clock, signed)
        )
    except REFUSALS as exc:
        return borrower_page(request, sessions, clock, signed, borrower_id, **said(exc))
    notice = f"Limit override asked (request #{asked.id}): another officer decides it"
    return borrower_page(request, sessions, clock, signed, borrower_id, notice=notice)
