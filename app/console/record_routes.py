"""``/console/ledger``: the trial balance as of a business day (``app.reports.statements``,
the reports' roles), also as CSV; ``/console/audit``: the audit log in chain order, a page
at a time, and its chain verified, through the auditor API's own route functions (admins
and auditors; each query and verification is itself audited, as through the API)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from app.api import params
from app.api.deps import AppClock, AppSessions
from app.audit import routes as audit_api
from app.audit.log import DEFAULT_PAGE as AUDIT_PAGE
from app.clock import business_date
from app.console.auth import PREFIX, BookReaderPage, Signed, console_staff
from app.console.pages import render
from app.console.refusals import REFUSALS, said
from app.reports import csv_files as reports_csv
from app.reports.dates import check_date
from app.reports.statements import trial_balance
from app.staff.models import Role
from ledger import Ledger

router = APIRouter(prefix=PREFIX, include_in_schema=False)
AuditorPage = Annotated[Signed, Depends(console_staff(Role.AUDITOR, Role.ADMIN))]
Text = Annotated[str, Query(max_length=64)]


@router.get("/ledger")
def ledger_page(
    sessions: AppSessions,
    clock: AppClock,
    signed: BookReaderPage,
    as_of: Annotated[str, Query(max_length=10)] = "",
    fmt: Annotated[str, Query(alias="format", max_length=4)] = "html",
) -> Response:
    today = business_date(clock())
    try:
        day = check_date("as_of", date.fromisoformat(as_of), today) if as_of else today
    except ValueError:
        return render("ledger.html", signed, 422, report=None, error="Give a date as YYYY-MM-DD")
    except REFUSALS as exc:
        return render("ledger.html", signed, report=None, **said(exc))
    with sessions.snapshot() as session:
        report = trial_balance(Ledger(session, clock), day)
    if fmt == "csv":
        return reports_csv.trial_balance_csv(report)
    return render("ledger.html", signed, report=report)


@router.get("/audit")
def audit_page(
    sessions: AppSessions,
    clock: AppClock,
    signed: AuditorPage,
    actor: Text = "",
    action: Text = "",
    after_id: params.AfterId = 0,
) -> Response:
    form = {"actor": actor, "action": action}
    try:
        with sessions.reader() as session:
            page = audit_api.list_audit_log(
                session,
                sessions,
                clock,
                signed.user,
                actor=actor or None,
                action=action or None,
                after_id=after_id,
                limit=AUDIT_PAGE,
            )
    except REFUSALS as exc:
        return render("audit.html", signed, page=None, form=form, verified=None, **said(exc))
    return render("audit.html", signed, page=page, form=form, verified=None)


@router.get("/audit/verify")
def verify_audit(sessions: AppSessions, clock: AppClock, signed: AuditorPage) -> Response:
    with sessions.reader() as session:
        verified = audit_api.verify_audit_log(session, sessions, clock, signed.user)
    form = {"actor": "", "action": ""}
    return render("audit.html", signed, page=None, form=form, verified=verified)
