"""``/console/loans``: the loan book (``app.reports.loan_book``) with the admin API's
filters, a page at a time, and ``/console/loans.csv``: every loan the filters match (up to
``CSV_MAX_ROWS``) as CSV (``app.reports.csv_files``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.admin.schemas import LoanOut
from app.api import params
from app.api.deps import AppClock, AppSessions
from app.clock import business_date
from app.console.auth import PREFIX, BookReaderPage
from app.console.pages import render
from app.errors import DomainError
from app.lending.models import Loan, LoanStatus
from app.reports import loan_book
from app.reports.csv_files import loan_book_csv

router = APIRouter(prefix=PREFIX, include_in_schema=False)
CSV_MAX_ROWS = 50_000
MAX_OVERDUE_DAYS = 3_650
MAX_ID = 2**62
_PRODUCT = re.compile(r"[a-z0-9_-]{1,32}")
Text = Annotated[str, Query(max_length=32)]


class InvalidLoanFilter(DomainError, code="invalid_loan_filter", http_status=422): ...


def loan_filter(form: LoanForm) -> loan_book.LoanFilter:
    """The form's fields (empty: any) as the loan book's filter, or InvalidLoanFilter."""
    try:
        chosen = LoanStatus(form.status) if form.status else None
    except ValueError:
        raise InvalidLoanFilter(f"Unknown status {form.status!r}") from None
    if form.product and not _PRODUCT.fullmatch(form.product):
        raise InvalidLoanFilter("A product code is 1-32 of a-z 0-9 _ -")
    return loan_book.LoanFilter(
        chosen,
        form.product or None,
        _bounded("Days overdue", form.overdue_days, 0, MAX_OVERDUE_DAYS),
        _bounded("Borrower id", form.borrower_id, 1, MAX_ID),
    )


def _bounded(name: str, text: str, low: int, high: int) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise InvalidLoanFilter(f"{name} is a whole number from {low} to {high}")
    return int(text)


@dataclass(frozen=True, slots=True)
class LoanForm:
    """The filter form's fields as sent (empty: any)."""

    status: str = ""
    product: str = ""
    overdue_days: str = ""
    borrower_id: str = ""


def _loan_form(
    status: Text = "", product: Text = "", overdue_days: Text = "", borrower_id: Text = ""
) -> LoanForm:
    return LoanForm(status, product, overdue_days, borrower_id)


Filters = Annotated[LoanForm, Depends(_loan_form)]


@router.get("/loans")
def loans(
    sessions: AppSessions,
    clock: AppClock,
    signed: BookReaderPage,
    form: Filters,
    after_id: params.AfterId = 0,
) -> Response:
    shown: dict[str, Any] = {"form": form, "statuses": [s.value for s in LoanStatus]}
    try:
        where = loan_filter(form)
    except InvalidLoanFilter as exc:
        return render(
            "loans.html", signed, 422, items=[], next_after_id=None, error=exc.detail, **shown
        )
    today = business_date(clock())
    with sessions.reader() as session:
        page = loan_book.list_loans(session, where, today, after_id, loan_book.DEFAULT_PAGE)
        items = [LoanOut.of(loan, today) for loan in page]
    next_after_id = page[-1].id if len(page) == loan_book.DEFAULT_PAGE else None
    return render("loans.html", signed, items=items, next_after_id=next_after_id, **shown)


@router.get("/loans.csv")
def loans_csv(
    sessions: AppSessions, clock: AppClock, signed: BookReaderPage, form: Filters
) -> Response:
    try:
        where = loan_filter(form)
    except InvalidLoanFilter as exc:
        return render("message.html", signed, 422, error=exc.detail)
    today = business_date(clock())
    with sessions.reader() as session:
        return loan_book_csv(_every_loan(session, where, today), today)


def _every_loan(session: Session, where: loan_book.LoanFilter, today: date) -> Iterator[Loan]:
    after_id, seen = 0, 0
    while seen < CSV_MAX_ROWS:
        page = loan_book.list_loans(session, where, today, after_id, loan_book.MAX_PAGE)
        yield from page
        seen += len(page)
        if len(page) < loan_book.MAX_PAGE:
            return
        after_id = page[-1].id
