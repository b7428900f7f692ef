"""The credit bureaus in the console, through ``app.crb.routes``' and
``app.admin.borrower_data_routes``' own functions:

- ``/console/crb``: the files sent to the bureaus and the records they rejected that no later
  file corrected (the book's readers, as ``GET /admin/v1/crb/submissions|rejections``);
- ``/console/crb/disputes?status=``: the disputes, oldest first (every staff role), each
  linking to its borrower's page, where makers ask for its resolution;
- ``POST /console/borrowers/{id}/disputes``: support (or an officer) opens a dispute on a
  borrower's behalf (``open_for_borrower``, audited ``crb.dispute_opened``);
- ``/console/borrowers/{id}/data.json``: the borrower's access export, in clear (admins and
  support, audited ``borrower.data_exported``), as a download."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.admin import borrower_data_routes as data_api
from app.api import params
from app.api.deps import AppClock, AppSessions
from app.console.auth import (
    PREFIX,
    BookReaderPage,
    ReaderPage,
    Signed,
    console_poster,
    console_staff,
)
from app.console.borrower_routes import DATA_OFFICERS, HELPERS, borrower_page
from app.console.pages import render
from app.console.refusals import REFUSALS, said
from app.crb import routes as crb_api
from app.crb.models import DisputeStatus
from app.crb.schemas import DisputeIn
from app.crb.submissions import MAX_PAGE
from app.staff.deps import field_crypto

router = APIRouter(prefix=PREFIX, include_in_schema=False)
HelperPost = Annotated[Signed, Depends(console_poster(*HELPERS))]
DataOfficerPage = Annotated[Signed, Depends(console_staff(*DATA_OFFICERS))]
SHOWN = MAX_PAGE
Short = Annotated[str, Form(max_length=32)]


@router.get("/crb")
def bureau_files(sessions: AppSessions, signed: BookReaderPage) -> Response:
    sent = crb_api.submissions(sessions, signed.user, 0, SHOWN)
    rejected = crb_api.rejections(sessions, signed.user, 0, SHOWN)
    return render("crb.html", signed, submissions=sent, rejections=rejected)


@router.get("/crb/disputes")
def disputes(
    sessions: AppSessions,
    signed: ReaderPage,
    status: Literal["", "open", "upheld", "rejected"] = "open",
) -> Response:
    wanted = DisputeStatus(status) if status else None
    found = crb_api.disputes(sessions, signed.user, wanted, 0, SHOWN)
    return render(
        "crb_disputes.html",
        signed,
        disputes=found,
        chosen=status,
        statuses=[s.value for s in DisputeStatus],
    )


@router.post("/borrowers/{borrower_id}/disputes")
def open_dispute(
    borrower_id: params.RecordId,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: HelperPost,
    loan_id: Short = "",
    reason: Short = "",
    note: Annotated[str, Form(max_length=600)] = "",
) -> Response:
    try:
        body = DisputeIn.model_validate(
            {"loan_id": loan_id, "reason": reason, "note": note.strip() or None}
        )
        opened = crb_api.open_for_borrower(borrower_id, body, sessions, clock, signed.user)
    except REFUSALS as exc:
        return borrower_page(request, sessions, clock, signed, borrower_id, **said(exc))
    notice = f"Dispute #{opened.id} opened: answer by {opened.respond_by}"
    return borrower_page(request, sessions, clock, signed, borrower_id, notice=notice)


@router.get("/borrowers/{borrower_id}/data.json")
def data_export(
    borrower_id: params.RecordId,
    request: Request,
    sessions: AppSessions,
    clock: AppClock,
    signed: DataOfficerPage,
) -> Response:
    try:
        data = data_api.borrower_data_export(
            borrower_id, sessions, clock, field_crypto(request), signed.user
        )
    except REFUSALS as exc:
        return render("message.html", signed, **said(exc))
    return Response(
        json.dumps(data, indent=2, sort_keys=True, default=str),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="borrower-{borrower_id}-data.json"'},
    )
