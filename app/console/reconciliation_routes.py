"""``/console/reconciliation``: the reconciliation runs and the exceptions queue (open and
under investigation), read through the reconciliation API's own route functions, with its
roles (admins, credit officers, auditors). Starting runs and resolving exceptions stay in
the API (``docs/reconciliation.md``); resolutions reach the console's approvals inbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from app.api.deps import AppSessions
from app.console.auth import PREFIX, Signed, console_staff
from app.console.pages import render
from app.reconciliation import routes as recon_api
from app.reconciliation.exceptions.models import ExceptionState
from app.staff.models import Role

router = APIRouter(prefix=PREFIX, include_in_schema=False)
RECON_ROLES = (Role.AUDITOR, Role.ADMIN, Role.CREDIT_OFFICER)
"""As ``app.reconciliation.routes.Reader``."""
ReconPage = Annotated[Signed, Depends(console_staff(*RECON_ROLES))]
SHOWN = 100
QUEUE = (ExceptionState.OPEN, ExceptionState.INVESTIGATING)


@router.get("/reconciliation")
def reconciliation(sessions: AppSessions, signed: ReconPage) -> Response:
    with sessions.reader() as session:
        runs = recon_api.list_reconciliations(session, signed.user, limit=SHOWN)
        queue = [
            item
            for state in QUEUE
            for item in recon_api.list_exceptions(
                session, signed.user, state=state.value, limit=SHOWN
            )
        ]
    return render("reconciliation.html", signed, runs=runs, queue=queue)
