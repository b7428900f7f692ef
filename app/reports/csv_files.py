"""The reports as CSV: one rectangular table per download, written with the ``csv`` module.

Conventions (``docs/reports.md``): a header row; amounts in KES with two decimals and no
thousands separator (``1234.50``, ``-0.05``), in columns ending ``_kes``; counts and basis
points as integers; an empty cell where JSON has ``null``; total rows labelled ``total``.
Every cell comes from the JSON report, so the two cannot disagree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

from fastapi.responses import Response

from app.lending.models import Loan
from app.reports.loan_book import days_overdue
from app.reports.schemas import (
    AgeingLine,
    ArrearsAgeing,
    BalanceSheet,
    DayLine,
    IncomeStatement,
    ParLine,
    PortfolioReport,
    SaverPage,
    SavingsBook,
    StatementLine,
    StatusLine,
    TrialBalanceReport,
)

Cell = str | int | None
PortfolioTable = Literal["status", "par", "daily"]


def kes_decimal(amount_minor: int) -> str:
    """Cents as KES with two decimals: 123450 -> ``1234.50``, -5 -> ``-0.05``."""
    sign = "-" if amount_minor < 0 else ""
    shillings, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{shillings}.{cents:02d}"


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _status_row(x: StatusLine) -> list[Cell]:
    return [
        x.status,
        x.loans_count,
        kes_decimal(x.principal_minor),
        kes_decimal(x.interest_minor),
        kes_decimal(x.penalty_minor),
        kes_decimal(x.outstanding_minor),
    ]


def _par_row(x: ParLine) -> list[Cell]:
    return [
        x.days_over,
        x.loans_count,
        kes_decimal(x.principal_minor),
        kes_decimal(x.outstanding_minor),
        x.share_bp,
    ]


def _day_row(label: str, x: DayLine) -> list[Cell]:
    return [
        label,
        x.disbursed_count,
        kes_decimal(x.disbursed_principal_minor),
        x.repayments_count,
        kes_decimal(x.repaid_minor),
        x.due_count,
        kes_decimal(x.due_principal_minor),
        kes_decimal(x.repaid_on_time_principal_minor),
        x.repayment_rate_bp,
    ]


def portfolio_csv(report: PortfolioReport, table: PortfolioTable) -> Response:
    if table == "status":
        header = ["status", "loans_count", "principal_kes", "interest_kes", "penalty_kes"]
        rows = [_status_row(x) for x in [*report.by_status, report.total]]
        return csv_response(
            f"portfolio-status-{report.as_of}.csv", [*header, "outstanding_kes"], rows
        )
    if table == "par":
        header = ["days_over", "loans_count", "principal_kes", "outstanding_kes", "share_bp"]
        return csv_response(
            f"portfolio-par-{report.as_of}.csv", header, [_par_row(x) for x in report.par]
        )
    header = [
        "date",
        "disbursed_count",
        "disbursed_principal_kes",
        "repayments_count",
        "repaid_kes",
        "due_count",
        "due_principal_kes",
        "repaid_on_time_principal_kes",
        "repayment_rate_bp",
    ]
    rows = [_day_row(x.date.isoformat(), x) for x in report.days]
    rows.append(_day_row("total", report.days_total))
    return csv_response(f"portfolio-daily-{report.from_date}-to-{report.to_date}.csv", header, rows)


def savings_csv(book: SavingsBook, as_of: str) -> Response:
    header = [
        "borrowers_count",
        "savers_count",
        "long_kes",
        "short_kes",
        "short_held_kes",
        "total_kes",
        "ledger_long_kes",
        "ledger_short_kes",
        "agrees_with_ledger",
    ]
    row: list[Cell] = [
        book.borrowers_count,
        book.savers_count,
        kes_decimal(book.long_minor),
        kes_decimal(book.short_minor),
        kes_decimal(book.short_held_minor),
        kes_decimal(book.total_minor),
        kes_decimal(book.ledger_long_minor),
        kes_decimal(book.ledger_short_minor),
        "true" if book.agrees_with_ledger else "false",
    ]
    return csv_response(f"savings-{as_of}.csv", header, [row])


def savers_csv(page: SaverPage, as_of: str) -> Response:
    header = ["borrower_id", "status", "long_kes", "short_kes", "short_held_kes"]
    rows: list[list[Cell]] = [
        [
            x.borrower_id,
            x.status,
            kes_decimal(x.long_minor),
            kes_decimal(x.short_minor),
            kes_decimal(x.short_held_minor),
        ]
        for x in page.items
    ]
    return csv_response(f"savers-{as_of}.csv", header, rows)


def trial_balance_csv(report: TrialBalanceReport) -> Response:
    header = ["code", "name", "type", "currency", "debit_kes", "credit_kes"]
    rows: list[list[Cell]] = [
        [
            x.code,
            x.name,
            x.type,
            x.currency,
            kes_decimal(x.debit_minor),
            kes_decimal(x.credit_minor),
        ]
        for x in report.lines
    ]
    rows.append(
        [
            "total",
            "",
            "",
            "",
            kes_decimal(report.debit_total_minor),
            kes_decimal(report.credit_total_minor),
        ]
    )
    return csv_response(f"trial-balance-{report.as_of}.csv", header, rows)


_STATEMENT_HEADER = ["section", "code", "name", "amount_kes"]


def _statement_rows(section: str, lines: Iterable[StatementLine]) -> list[list[Cell]]:
    return [[section, x.code, x.name, kes_decimal(x.amount_minor)] for x in lines]


def _total_row(label: str, amount_minor: int) -> list[Cell]:
    return [label, "", "", kes_decimal(amount_minor)]


def income_statement_csv(report: IncomeStatement) -> Response:
    rows = [
        *_statement_rows("income", report.income),
        _total_row("income_total", report.income_total_minor),
        *_statement_rows("expense", report.expenses),
        _total_row("expense_total", report.expense_total_minor),
        _total_row("net_result", report.net_result_minor),
    ]
    return csv_response(
        f"income-statement-{report.from_date}-to-{report.to_date}.csv", _STATEMENT_HEADER, rows
    )


def balance_sheet_csv(report: BalanceSheet) -> Response:
    rows = [
        *_statement_rows("asset", report.assets),
        _total_row("assets_total", report.assets_total_minor),
        *_statement_rows("liability", report.liabilities),
        _total_row("liabilities_total", report.liabilities_total_minor),
        *_statement_rows("equity", report.equity),
        _total_row("equity_total", report.equity_total_minor),
        _total_row("current_result", report.current_result_minor),
        _total_row("liabilities_and_equity", report.liabilities_and_equity_minor),
    ]
    return csv_response(f"balance-sheet-{report.as_of}.csv", _STATEMENT_HEADER, rows)


LOAN_BOOK_HEADER = (
    "loan_id",
    "account_number",
    "borrower_id",
    "product_code",
    "status",
    "principal_disbursed_kes",
    "principal_outstanding_kes",
    "interest_outstanding_kes",
    "penalty_outstanding_kes",
    "outstanding_kes",
    "disbursed_on",
    "due_on",
    "days_overdue",
)


def loan_book_csv(loans: Iterable[Loan], today: date) -> Response:
    """The loan book (``app.reports.loan_book``), one loan per row, as of ``today``."""
    rows = (
        [
            loan.id,
            loan.account_number,
            loan.borrower_id,
            loan.product_terms["code"],
            loan.status,
            kes_decimal(loan.principal_disbursed_minor),
            kes_decimal(loan.principal_outstanding_minor),
            kes_decimal(loan.interest_outstanding_minor),
            kes_decimal(loan.penalty_outstanding_minor),
            kes_decimal(loan.outstanding_minor),
            loan.disbursed_on.isoformat() if loan.disbursed_on else None,
            loan.due_on.isoformat() if loan.due_on else None,
            days_overdue(loan, today),
        ]
        for loan in loans
    )
    return csv_response(f"loan-book-{today.isoformat()}.csv", LOAN_BOOK_HEADER, rows)


def arrears_ageing_csv(report: ArrearsAgeing) -> Response:
    """One row per product and bucket, each product's total, then the book's."""
    header = ["product_code", "bucket", "loans_count", "principal_kes", "outstanding_kes"]

    def row(code: str, x: AgeingLine) -> list[Cell]:
        return [
            code,
            x.bucket,
            x.loans_count,
            kes_decimal(x.principal_minor),
            kes_decimal(x.outstanding_minor),
        ]

    rows = [
        row(p.product_code, x)
        for p in [*report.products, report.total]
        for x in [*p.buckets, p.total]
    ]
    return csv_response(f"arrears-ageing-{report.as_of}.csv", header, rows)
