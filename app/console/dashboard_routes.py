"""``/console/dashboard``: the portfolio report (``app.reports.portfolio``) as charts and
numbers, with the float and suspense balances from the ledger."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import Response

from app.accounting.chart import CHART, Acct
from app.api.deps import AppClock, AppSessions
from app.clock import business_date
from app.console.auth import PREFIX, BookReaderPage
from app.console.charts import Series, bar_chart, column_chart
from app.console.pages import kes, percent_bp, render
from app.reports.dates import DayRange
from app.reports.portfolio import portfolio_report
from ledger import Ledger, LedgerError

router = APIRouter(prefix=PREFIX, include_in_schema=False)
DAYS_SHOWN = 30
BALANCES = (Acct.FLOAT, Acct.AIRTEL_FLOAT, Acct.SUSPENSE)


@router.get("/dashboard")
def dashboard(sessions: AppSessions, clock: AppClock, signed: BookReaderPage) -> Response:
    today = business_date(clock())
    window = DayRange(today - timedelta(days=DAYS_SHOWN - 1), today)
    balances: list[tuple[str, int | None]] = []
    with sessions.snapshot() as session:
        report = portfolio_report(session, today, window)
        ledger = Ledger(session, clock)
        for code in BALANCES:
            try:
                account = ledger.account_by_code(code.value)
                balances.append((CHART[code].name, ledger.balance(account.id).posted_minor))
            except LedgerError:  # the chart is not open yet
                balances.append((CHART[code].name, None))
    charts = {
        "status": bar_chart(
            "Loans by status",
            [(line.status, line.loans_count) for line in report.by_status],
            str,
        ),
        "flows": column_chart(
            f"Disbursed and collected per day, {window.first} to {window.last}",
            [day.date.isoformat() for day in report.days],
            [
                Series("disbursed", [d.disbursed_principal_minor for d in report.days]),
                Series("collected", [d.repaid_minor for d in report.days]),
            ],
        ),
        "par": bar_chart(
            "Portfolio at risk (share of outstanding)",
            [(f"PAR {line.days_over}", line.share_bp or 0) for line in report.par],
            percent_bp,
        ),
        "balances": bar_chart(
            "Float and suspense balances",
            [(name, amount or 0) for name, amount in balances],
            kes,
        ),
    }
    return render("dashboard.html", signed, report=report, balances=balances, charts=charts)
