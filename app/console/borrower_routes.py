"""``/console/borrowers``: find a borrower by phone or national ID and see them masked, as
the admin API shows them (its route functions, so each search and view is audited the same
way), with their loans and schedules, savings and score decisions with reasons; freeze
(makers) and unfreeze (admins) as the admin API does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from app.admin import borrower_data_routes as borrower_data
from app.admin import borrower_routes as admin_borrowers
from app.admin.schemas import BorrowerOut, FreezeIn, LoanOut
from app.api import params
from app.api.bodies import ReasonIn
from app.api.deps import AppClock, AppSessions
from app.clock import Clock, business_date
from app.console.auth import PREFIX, AdminPost, MakerPost, ReaderPage, Signed
from app.console.pages import render
from app.console.refusals import REFUSALS, said
from app.crb.dispute_kind import Outcome
from app.crb.disputes import disputes_of
from app.crb.models import DisputeReason
from app.crb.schemas import DisputeOut
from app.lending.instalments import instalments_of
from app.reports import loan_book
from app.scoring.queries import decisions_of
from app.scoring.schemas import DecisionOut
from app.staff.deps import ADMINS, MAKERS, field_crypto
from app.staff.models import Role

router = APIRouter(prefix=PREFIX, include_in_schema=False)
DECISIONS_SHOWN = 10
LOANS_SHOWN = 20
Reason = Annotated[str, Form(max_length=400)]
HELPERS = (Role.ADMIN, Role.CREDIT_OFFICER, Role.SUPPORT)
"""Who opens a bureau dispute for a borrower (``app.crb.routes.Helper``)."""
DATA_OFFICERS = (Role.ADMIN, Role.SUPPORT)
"""Who exports a borrower's data (``app.admin.borrower_data_routes.DataOfficer``)."""


@router.get("/borrowers")
def find_borrower(
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: ReaderPage,
    by: Literal["phone", "national_id"] = "phone",
    q: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    if not q.strip():
        return render("borrowers.html", signed, found=None, by=by)
    key = q.strip()
    try:
        found = admin_borrowers.search_borrowers(
            sessions,
            clock,
            field_crypto(request),
            signed.user,
            phone=key if by == "phone" else None,
            national_id=key if by == "national_id" else None,
        )
    except REFUSALS as exc:
        return render("borrowers.html", signed, found=None, by=by, **said(exc))
    return render("borrowers.html", signed, found=found, by=by)


def borrower_page(
    request: Request,
    sessions: AppSessions,
    clock: Clock,
    signed: Signed,
    borrower_id: int,
    status: int = 200,
    **shown: Any,
) -> Response:
    try:
        borrower: BorrowerOut = admin_borrowers.view_borrower(
            borrower_id, sessions, clock, field_crypto(request), signed.user
        )
    except REFUSALS as exc:
        return render("message.html", signed, **said(exc))
    today = business_date(clock())
    consents = borrower_data.borrower_consents(borrower_id, sessions, signed.user)
    with sessions.reader() as session:
        loans = loan_book.list_loans(
            session, loan_book.LoanFilter(borrower_id=borrower_id), today, limit=LOANS_SHOWN
        )
        with_schedules = [
            (LoanOut.of(loan, today), instalments_of(session, loan.id)) for loan in reversed(loans)
        ]
        decisions = [
            DecisionOut.model_validate(d)
            for d in decisions_of(session, borrower_id, DECISIONS_SHOWN)
        ]
        disputes = [DisputeOut.model_validate(d) for d in disputes_of(session, borrower_id)]
    return render(
        "borrower.html",
        signed,
        status,
        borrower=borrower,
        loans=with_schedules,
        decisions=decisions,
        disputes=disputes,
        consents=consents,
        dispute_reasons=[r.value for r in DisputeReason],
        may_open_dispute=signed.may(*HELPERS),
        may_export=signed.may(*DATA_OFFICERS),
        outcomes=[o.value for o in Outcome],
        may_freeze=signed.may(*MAKERS),
        may_unfreeze=signed.may(*ADMINS),
        **shown,
    )


@router.get("/borrowers/{borrower_id}")
def view_borrower(
    borrower_id: params.RecordId,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: ReaderPage,
) -> Response:
    return borrower_page(request, sessions, clock, signed, borrower_id)


@dataclass(frozen=True, slots=True)
class Here:
    """What a borrower page's POST needs besides its form: the request, sessions, clock."""

    request: Request
    sessions: AppSessions
    clock: Clock


def _here(request: Request, sessions: AppSessions, clock: AppClock) -> Here:
    return Here(request, sessions, clock)


HereNow = Annotated[Here, Depends(_here)]


_CHANGES: dict[str, tuple[type[ReasonIn] | type[FreezeIn], Callable[..., object], str]] = {
    "freeze": (FreezeIn, admin_borrowers.freeze, "Borrower frozen"),
    "unfreeze": (ReasonIn, admin_borrowers.unfreeze, "Borrower unfrozen"),
}
"""Each change: its body, the admin route function making it, what the page says after."""


def _changed(here: Here, signed: Signed, borrower_id: int, reason: str, change: str) -> Response:
    """Make the change through the admin route function; the borrower page with its outcome."""
    body, route, done = _CHANGES[change]
    try:
        crypto = field_crypto(here.request)
        route(borrower_id, body(reason=reason), here.sessions, here.clock, crypto, signed.user)
    except REFUSALS as exc:
        shown = said(exc)
    else:
        shown = {"notice": done}
    return borrower_page(here.request, here.sessions, here.clock, signed, borrower_id, **shown)


@router.post("/borrowers/{borrower_id}/freeze")
def freeze(
    borrower_id: params.RecordId, here: HereNow, signed: MakerPost, reason: Reason = ""
) -> Response:
    return _changed(here, signed, borrower_id, reason, "freeze")


@router.post("/borrowers/{borrower_id}/unfreeze")
def unfreeze(
    borrower_id: params.RecordId, here: HereNow, signed: AdminPost, reason: Reason = ""
) -> Response:
    return _changed(here, signed, borrower_id, reason, "unfreeze")
