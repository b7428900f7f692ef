"""The arrears ageing of the loan book: open loans owing anything, by product and by days past
due (``past_due.AGEING_BUCKETS``), with SQL aggregates only (one statement). Days past due
date from the oldest unpaid due date (an instalment loan's oldest unpaid instalment).
Definitions: ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.lending.models import OPEN_STATUSES, Loan
from app.products.models import Product
from app.reports.past_due import AGEING_BUCKETS, ageing_bucket
from app.reports.schemas import AgeingLine, ArrearsAgeing, ProductAgeing

Figures = tuple[int, int, int]
"""loans, principal, outstanding."""


def arrears_ageing(session: Session, as_of: date) -> ArrearsAgeing:
    owed = (
        Loan.principal_outstanding_minor
        + Loan.interest_outstanding_minor
        + Loan.penalty_outstanding_minor
    )
    bucket = ageing_bucket(as_of).label("bucket")
    rows = session.execute(
        select(
            Product.code,
            bucket,
            func.count(),
            func.coalesce(func.sum(Loan.principal_outstanding_minor), 0),
            func.coalesce(func.sum(owed), 0),
        )
        .join(Product, Product.id == Loan.product_id)
        .where(Loan.status.in_(OPEN_STATUSES), owed > 0)
        .group_by(Product.code, bucket)
    ).all()
    found: dict[str, dict[str, Figures]] = {}
    for code, label, count, principal, outstanding in rows:
        found.setdefault(code, {})[label] = (int(count), int(principal), int(outstanding))
    products = [_product(code, found[code]) for code in sorted(found)]
    everything: dict[str, Figures] = {
        label: _add(p.buckets[i] for p in products) for i, label in enumerate(AGEING_BUCKETS)
    }
    return ArrearsAgeing(as_of=as_of, products=products, total=_product("total", everything))


def _product(code: str, figures: Mapping[str, Figures]) -> ProductAgeing:
    lines = [_line(label, figures.get(label, (0, 0, 0))) for label in AGEING_BUCKETS]
    return ProductAgeing(product_code=code, buckets=lines, total=_line("total", _add(lines)))


def _add(lines: Iterable[AgeingLine]) -> Figures:
    items = list(lines)
    return (
        sum(x.loans_count for x in items),
        sum(x.principal_minor for x in items),
        sum(x.outstanding_minor for x in items),
    )


def _line(label: str, figures: Figures) -> AgeingLine:
    count, principal, outstanding = figures
    return AgeingLine(
        bucket=label, loans_count=count, principal_minor=principal, outstanding_minor=outstanding
    )
