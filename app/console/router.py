"""Mounting the console on the app: its pages under ``/console``, its headers on every
response there, and its two refusals answered as pages (sign in again; not for your role)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.console import (
    approval_routes,
    borrower_routes,
    crb_routes,
    dashboard_routes,
    fund_proposal_routes,
    group_routes,
    loan_proposal_routes,
    loan_routes,
    product_routes,
    proposal_routes,
    reconciliation_routes,
    record_routes,
    report_routes,
    scorecard_routes,
    sign_in_routes,
    staff_request_routes,
    staff_routes,
)
from app.console.auth import PREFIX, ConsoleForbidden, SignInRequired
from app.console.headers import ConsoleHeadersMiddleware
from app.console.pages import render

AREAS = (
    sign_in_routes,
    dashboard_routes,
    approval_routes,
    borrower_routes,
    loan_routes,
    proposal_routes,
    loan_proposal_routes,
    fund_proposal_routes,
    product_routes,
    crb_routes,
    group_routes,
    scorecard_routes,
    report_routes,
    reconciliation_routes,
    record_routes,
    staff_routes,
    staff_request_routes,
)


def install_console(app: FastAPI) -> None:
    for area in AREAS:
        app.include_router(area.router)

    @app.exception_handler(SignInRequired)
    async def _sign_in(_request: Request, _exc: SignInRequired) -> Response:
        return RedirectResponse(PREFIX + "/sign-in", status_code=303)

    @app.exception_handler(ConsoleForbidden)
    async def _forbidden(_request: Request, exc: ConsoleForbidden) -> Response:
        return render("message.html", exc.signed, 403, error=exc.detail)

    app.add_middleware(ConsoleHeadersMiddleware, prefix=PREFIX)
