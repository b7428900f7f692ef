"""``/console/reports``: the arrears ageing, the regulatory return and the portfolio (the
reports' roles: admin, credit officer, auditor), through ``app.reports.routes``' own
functions on one database snapshot each, with every table also as the API's CSV
(``/console/reports/{report}.csv``). ``from``/``to`` bound the return (default: the month to
date) and the portfolio's days (default: the 30 days to today)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.deps import AppClock, AppSessions
from app.clock import Clock
from app.console.auth import PREFIX, BookReaderPage
from app.console.pages import render
from app.console.refusals import REFUSALS, said
from app.errors import DomainError
from app.reports import routes as report_api
from app.reports.csv_files import PortfolioTable
from app.reports.regulatory_return import RegulatoryReturn, return_rows

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Day = Annotated[str, Query(max_length=10)]
CsvName = Literal[
    "arrears-ageing", "regulatory-return", "portfolio-status", "portfolio-par", "portfolio-daily"
]


class InvalidReportDate(DomainError, code="invalid_report_date", http_status=422):
    """A date of the report form is not YYYY-MM-DD."""


def _day(name: str, text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidReportDate(f"Give {name} as YYYY-MM-DD") from None


def _range(first: Day = "", to: Day = "") -> tuple[str, str]:
    return first, to


Range = Annotated[tuple[str, str], Depends(_range)]


def _reports(sessions: AppSessions, clock: AppClock, days: tuple[str, str]) -> dict[str, Any]:
    first, to = _day("from", days[0]), _day("to", days[1])
    with sessions.snapshot() as session:
        return {
            "ageing": report_api.get_arrears_ageing(session, clock, "json"),
            "regulatory": report_api.get_regulatory_return(session, clock, first, to, "json"),
            "portfolio": report_api.get_portfolio(session, clock, None, first, to, "json"),
        }


@router.get("/reports")
def reports(
    sessions: AppSessions, clock: AppClock, signed: BookReaderPage, days: Range
) -> Response:
    form = {"from": days[0], "to": days[1]}
    try:
        found = _reports(sessions, clock, days)
    except REFUSALS as exc:
        return render("reports.html", signed, form=form, reports=None, **said(exc))
    regulatory = found["regulatory"]
    rows = return_rows(regulatory) if isinstance(regulatory, RegulatoryReturn) else []
    return render("reports.html", signed, form=form, reports=found, return_table=rows)


_PORTFOLIO_TABLES: dict[str, PortfolioTable] = {
    "portfolio-status": "status",
    "portfolio-par": "par",
    "portfolio-daily": "daily",
}


def _csv(name: str, session: Session, clock: Clock, first: date | None, to: date | None) -> Any:
    if name == "arrears-ageing":
        return report_api.get_arrears_ageing(session, clock, "csv")
    if name == "regulatory-return":
        return report_api.get_regulatory_return(session, clock, first, to, "csv")
    return report_api.get_portfolio(session, clock, None, first, to, "csv", _PORTFOLIO_TABLES[name])


@router.get("/reports/{name}.csv")
def report_csv(
    name: CsvName, sessions: AppSessions, clock: AppClock, signed: BookReaderPage, days: Range
) -> Response:
    try:
        first, to = _day("from", days[0]), _day("to", days[1])
        with sessions.snapshot() as session:
            answer = _csv(name, session, clock, first, to)
    except REFUSALS as exc:
        return render("message.html", signed, **said(exc))
    if not isinstance(answer, Response):
        raise TypeError(f"{name}: the report route gave no CSV")
    return answer
