"""``/admin/v1/reports``: the fund's reports, read-only, as JSON or CSV (``?format=csv``).

Admins, credit officers and auditors may read them. Dates are Nairobi business dates
(``YYYY-MM-DD``); ranges are inclusive and capped (``reports_dates``). Each report reads one
database snapshot (REPEATABLE READ on PostgreSQL; SQLite's read transaction already is one),
so its figures and its ``balanced`` proofs agree with each other under concurrent writes.
Definitions: ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.deps import AppClock, get_sessions
from app.api.params import IsoDate
from app.clock import business_date
from app.db.session import Sessions
from app.errors import DomainError
from app.reports import csv_files as reports_csv
from app.reports.arrears import arrears_ageing
from app.reports.csv_files import PortfolioTable
from app.reports.dates import DayRange, check_date, day_range
from app.reports.portfolio import portfolio_report
from app.reports.regulatory_return import RegulatoryReturn, regulatory_return, return_rows
from app.reports.savings import (
    SAVERS_PAGE_DEFAULT,
    SAVERS_PAGE_MAX,
    savers_page,
    savings_book,
)
from app.reports.schemas import (
    ArrearsAgeing,
    BalanceSheet,
    IncomeStatement,
    PortfolioReport,
    SaverPage,
    SavingsBook,
    TrialBalanceReport,
)
from app.reports.statements import balance_sheet, income_statement, trial_balance
from app.staff.auth import require_roles
from app.staff.models import Role
from ledger import Ledger

router = APIRouter(
    prefix="/admin/v1/reports",
    tags=["reports"],
    dependencies=[Depends(require_roles(Role.ADMIN, Role.CREDIT_OFFICER, Role.AUDITOR))],
)

_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with ?format=csv"}
}


class PortfolioAsOfNotToday(DomainError, code="portfolio_as_of_not_today", http_status=400): ...


class CsvTableRequired(DomainError, code="csv_table_required", http_status=400): ...


def report_session(sessions: Annotated[Sessions, Depends(get_sessions)]) -> Iterator[Session]:
    """A read-only transaction on one snapshot, never committed."""
    with sessions.snapshot() as session:
        yield session


ReportSession = Annotated[Session, Depends(report_session)]
Format = Annotated[
    Literal["json", "csv"], Query(alias="format", description="json (default) or csv")
]
AsOf = Annotated[IsoDate | None, Query(description="Business date (Nairobi); default today")]
From = Annotated[IsoDate | None, Query(alias="from", description="First business day, inclusive")]
To = Annotated[IsoDate | None, Query(description="Last business day, inclusive; default today")]


def _today(clock: AppClock) -> date:
    return business_date(clock())


def _as_of_day(clock: AppClock, as_of: AsOf = None) -> date:
    """The business date a report is as of: ``as_of``, today by default, never after today."""
    today = _today(clock)
    return check_date("as_of", as_of or today, today)


AsOfDay = Annotated[date, Depends(_as_of_day)]


@router.get("/portfolio", response_model=PortfolioReport, responses=_CSV)
def get_portfolio(
    session: ReportSession,
    clock: AppClock,
    as_of: AsOf = None,
    first: From = None,
    to: To = None,
    fmt: Format = "json",
    table: Annotated[
        PortfolioTable | None, Query(description="CSV only: status, par or daily")
    ] = None,
) -> PortfolioReport | Response:
    """Outstanding by loan status and PAR 1/7/30/90 now; disbursed, repaid, due and the
    repayment rate for each day from ``from`` to ``to`` (default: the 30 days to today)."""
    today = _today(clock)
    if as_of is not None and as_of != today:
        raise PortfolioAsOfNotToday(
            f"The loan book keeps current balances: as_of can only be today ({today}). "
            "Use from/to for past days, and the balance sheet for past totals."
        )
    window = day_range(first, to, today)
    if fmt == "json":
        return portfolio_report(session, today, window)
    if table is None:
        raise CsvTableRequired("Choose the CSV table: table=status, table=par or table=daily")
    return reports_csv.portfolio_csv(portfolio_report(session, today, window), table)


@router.get("/arrears-ageing", response_model=ArrearsAgeing, responses=_CSV)
def get_arrears_ageing(
    session: ReportSession, clock: AppClock, fmt: Format = "json"
) -> ArrearsAgeing | Response:
    """Open loans owing anything by product and days past due (current, 1-30, 31-60, 61-90,
    91-180, 180+) today: loans, principal, outstanding. An instalment loan's days past due
    date from its oldest unpaid instalment."""
    report = arrears_ageing(session, _today(clock))
    return reports_csv.arrears_ageing_csv(report) if fmt == "csv" else report


@router.get("/savings", response_model=SavingsBook, responses=_CSV)
def get_savings(
    session: ReportSession,
    clock: AppClock,
    fmt: Format = "json",
) -> SavingsBook | Response:
    """Savings held for borrowers now: long- and short-term, under lien, number of savers."""
    book = savings_book(session, Ledger(session, clock))
    return reports_csv.savings_csv(book, _today(clock).isoformat()) if fmt == "csv" else book


@router.get("/savings/savers", response_model=SaverPage, responses=_CSV)
def get_savers(
    session: ReportSession,
    clock: AppClock,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=SAVERS_PAGE_MAX)] = SAVERS_PAGE_DEFAULT,
    fmt: Format = "json",
) -> SaverPage | Response:
    """Savers by borrower id (no personal data); pass ``next_after_id`` for the next page."""
    page = savers_page(session, after_id, limit)
    return reports_csv.savers_csv(page, _today(clock).isoformat()) if fmt == "csv" else page


@router.get("/trial-balance", response_model=TrialBalanceReport, responses=_CSV)
def get_trial_balance(
    session: ReportSession, clock: AppClock, day: AsOfDay, fmt: Format = "json"
) -> TrialBalanceReport | Response:
    """Every account's net posted balance at the end of ``as_of``."""
    report = trial_balance(Ledger(session, clock), day)
    return reports_csv.trial_balance_csv(report) if fmt == "csv" else report


@router.get("/income-statement", response_model=IncomeStatement, responses=_CSV)
def get_income_statement(
    session: ReportSession,
    clock: AppClock,
    first: From = None,
    to: To = None,
    fmt: Format = "json",
) -> IncomeStatement | Response:
    """Income and expenses from ``from`` to ``to`` (default: the month to date)."""
    today = _today(clock)
    period: DayRange = day_range(first or (to or today).replace(day=1), to, today)
    report = income_statement(Ledger(session, clock), period)
    return reports_csv.income_statement_csv(report) if fmt == "csv" else report


@router.get("/balance-sheet", response_model=BalanceSheet, responses=_CSV)
def get_balance_sheet(
    session: ReportSession, clock: AppClock, day: AsOfDay, fmt: Format = "json"
) -> BalanceSheet | Response:
    """Assets = liabilities + equity + the result to date, at the end of ``as_of``."""
    report = balance_sheet(Ledger(session, clock), day)
    return reports_csv.balance_sheet_csv(report) if fmt == "csv" else report


@router.get("/regulatory-return", response_model=RegulatoryReturn, responses=_CSV)
def get_regulatory_return(
    session: ReportSession,
    clock: AppClock,
    first: From = None,
    to: To = None,
    fmt: Format = "json",
) -> RegulatoryReturn | Response:
    """The digital lender's periodic return from ``from`` to ``to`` (default: the month to
    date): loans by size, product, gender and age band; PAR; borrowers; complaints."""
    today = _today(clock)
    period: DayRange = day_range(first or (to or today).replace(day=1), to, today)
    report = regulatory_return(session, period, today)
    if fmt == "csv":
        name = f"regulatory-return-{period.first.isoformat()}-{period.last.isoformat()}.csv"
        header = ["section", "line", "count", "amount_kes", "share_bp"]
        rows = [
            [*row[:3], None if row[3] is None else reports_csv.kes_decimal(int(row[3])), row[4]]
            for row in return_rows(report)
        ]
        return reports_csv.csv_response(name, header, rows)
    return report
