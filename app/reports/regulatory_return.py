"""The periodic return a digital credit provider files with its regulator, for a period of
business days: loans paid out by size band, by product, by gender and by age band; the
portfolio at risk at the period's end; borrowers who joined and left; complaints (disputes of
bureau records) opened, resolved, upheld and overdue. Definitions: ``docs/reports.md``.

SQL aggregates only (CASE bands, GROUP BY), so the cost does not grow with Python loops over
the book. A borrower's age band is their age at the period's end, read from the day they
turned 18 (``borrowers.adult_on``: the database holds no birth date in clear); gender is not
recorded by the register lookup, so every loan is in ``not_recorded``.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import QueryableAttribute, Session

from app.borrowers.ages import MIN_AGE_YEARS
from app.borrowers.models import Borrower
from app.crb.models import CrbDispute, DisputeStatus
from app.lending.models import Loan
from app.products.models import Product
from app.reports.dates import DayRange, end_of, start_of
from app.reports.portfolio import portfolio_at_risk
from app.reports.schemas import ParLine

SIZE_BANDS_KES = (1_000, 5_000, 10_000, 20_000, 50_000, 100_000, 500_000, 1_000_000)
"""Upper bounds (inclusive) of the size bands; above the last is its own band."""
AGE_BANDS = (25, 35, 45, 55, 65)
"""Lower bounds of the age bands after 18-24; 65 and over is the last."""
UNKNOWN = "unknown"


class BandLine(BaseModel):
    band: str
    loans_count: int
    disbursed_minor: int


class ComplaintLines(BaseModel):
    opened: int
    resolved: int
    upheld: int
    open_at_end: int
    overdue_at_end: int
    """Open at the period's end past their reply-by date."""


class BorrowerLines(BaseModel):
    joined: int
    left: int
    active_at_end: int


class RegulatoryReturn(BaseModel):
    from_date: date
    to_date: date
    loans_count: int
    disbursed_minor: int
    by_size: list[BandLine]
    by_product: list[BandLine]
    by_gender: list[BandLine]
    by_age: list[BandLine]
    portfolio_outstanding_minor: int
    par: list[ParLine]
    borrowers: BorrowerLines
    complaints: ComplaintLines


def _size_band() -> ColumnElement[str]:
    whens = []
    lower = 0
    for upper in SIZE_BANDS_KES:
        whens.append((Loan.principal_disbursed_minor <= upper * 100, f"{lower + 1}-{upper}"))
        lower = upper
    return case(*whens, else_=literal(f"over {lower}"))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, and that year is common
        return date(day.year - years, 2, 28)


def _age_band(at: date) -> ColumnElement[str]:
    """Age at ``at``: aged A or more when they turned 18 on or before ``at`` less A - 18 years."""
    whens = []
    for lower in reversed(AGE_BANDS):
        since = _years_before(at, lower - MIN_AGE_YEARS)
        name = f"{lower}+" if lower == AGE_BANDS[-1] else f"{lower}-{_next(lower) - 1}"
        whens.append((Borrower.adult_on <= since, name))
    whens.append((Borrower.adult_on <= at, f"{MIN_AGE_YEARS}-{AGE_BANDS[0] - 1}"))
    return case(*whens, else_=literal(UNKNOWN))


def _next(lower: int) -> int:
    return AGE_BANDS[AGE_BANDS.index(lower) + 1]


def _bands(
    session: Session, band: ColumnElement[str] | QueryableAttribute[str], period: DayRange
) -> list[BandLine]:
    query = (
        select(
            band.label("band"),
            func.count(),
            func.coalesce(func.sum(Loan.principal_disbursed_minor), 0),
        )
        .select_from(Loan)
        .join(Borrower, Borrower.id == Loan.borrower_id)
        .join(Product, Product.id == Loan.product_id)
        .where(Loan.disbursed_on >= period.first, Loan.disbursed_on <= period.last)
        .group_by(band)
        .order_by(band)
    )
    return [
        BandLine(band=b, loans_count=n, disbursed_minor=int(s))
        for b, n, s in session.execute(query)
    ]


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(CrbDispute).where(*where)) or 0)


def _complaints(session: Session, period: DayRange) -> ComplaintLines:
    start, end = start_of(period.first), end_of(period.last)
    opened_by_end = CrbDispute.opened_at < end
    open_at_end = and_(
        opened_by_end,
        (CrbDispute.resolved_at.is_(None)) | (CrbDispute.resolved_at >= end),
    )
    resolved = and_(CrbDispute.resolved_at >= start, CrbDispute.resolved_at < end)
    return ComplaintLines(
        opened=_count(session, CrbDispute.opened_at >= start, opened_by_end),
        resolved=_count(session, resolved),
        upheld=_count(session, resolved, CrbDispute.status == DisputeStatus.UPHELD),
        open_at_end=_count(session, open_at_end),
        overdue_at_end=_count(session, open_at_end, CrbDispute.respond_by < period.last),
    )


def _borrowers(session: Session, period: DayRange) -> BorrowerLines:
    start, end = start_of(period.first), end_of(period.last)

    def count(*where: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count()).select_from(Borrower).where(*where)) or 0)

    return BorrowerLines(
        joined=count(Borrower.created_at >= start, Borrower.created_at < end),
        left=count(Borrower.opted_out_at >= start, Borrower.opted_out_at < end),
        active_at_end=count(
            Borrower.created_at < end,
            (Borrower.opted_out_at.is_(None)) | (Borrower.opted_out_at >= end),
        ),
    )


def regulatory_return(session: Session, period: DayRange, today: date) -> RegulatoryReturn:
    by_size = _bands(session, _size_band(), period)
    portfolio, par = portfolio_at_risk(session, min(period.last, today))
    total = sum(line.loans_count for line in by_size)
    disbursed = sum(line.disbursed_minor for line in by_size)
    return RegulatoryReturn(
        from_date=period.first,
        to_date=period.last,
        loans_count=total,
        disbursed_minor=disbursed,
        by_size=by_size,
        by_product=_bands(session, Product.code, period),
        by_gender=[BandLine(band="not_recorded", loans_count=total, disbursed_minor=disbursed)],
        by_age=_bands(session, _age_band(period.last), period),
        portfolio_outstanding_minor=portfolio[2],
        par=par,
        borrowers=_borrowers(session, period),
        complaints=_complaints(session, period),
    )


def return_rows(report: RegulatoryReturn) -> list[list[str | int | None]]:
    """The return as one table (``section``, ``line``, ``count``, ``amount_minor``,
    ``share_bp``), every cell from the JSON."""
    rows: list[list[str | int | None]] = [
        ["loans", "total", report.loans_count, report.disbursed_minor, None]
    ]
    sections = (
        ("size_kes", report.by_size),
        ("product", report.by_product),
        ("gender", report.by_gender),
        ("age", report.by_age),
    )
    for section, lines in sections:
        rows += [[section, x.band, x.loans_count, x.disbursed_minor, None] for x in lines]
    rows.append(["portfolio", "outstanding", None, report.portfolio_outstanding_minor, None])
    rows += [
        ["par", f"par_{x.days_over}", x.loans_count, x.outstanding_minor, x.share_bp]
        for x in report.par
    ]
    rows += [["borrowers", k, v, None, None] for k, v in report.borrowers.model_dump().items()]
    rows += [["complaints", k, v, None, None] for k, v in report.complaints.model_dump().items()]
    return rows
