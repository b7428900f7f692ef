"""The loan portfolio: what is owed by loan status, portfolio at risk (PAR), daily flows.

Read from the lending subledger (``loans``, ``repayments``, ``payouts``) with SQL aggregates
only: a report costs a handful of statements whatever the size of the book, and no loan row
is loaded into Python. The subledger holds current balances, so the snapshot (by status,
PAR) is the book as it stands; the daily flows are history and cover any past window.
Definitions: ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from app.lending.models import OPEN_STATUSES, Loan, LoanStatus, Repayment
from app.payments.models import Payout, PayoutPurpose, PayoutStatus
from app.reports.dates import DayRange, business_day_of, end_of, start_of
from app.reports.past_due import more_days_past_due_than
from app.reports.schemas import DayLine, ParLine, PortfolioReport, StatusLine

PAR_DAYS = (1, 7, 30, 90)
BP = 10_000


def ratio_bp(part: int, whole: int) -> int | None:
    """``part / whole`` in basis points, rounded half up; ``None`` when ``whole`` is zero."""
    if whole == 0:
        return None
    return (2 * part * BP + whole) // (2 * whole)


def _sum(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)


def _owed() -> ColumnElement[int]:
    return (
        Loan.principal_outstanding_minor
        + Loan.interest_outstanding_minor
        + Loan.penalty_outstanding_minor
    )


def outstanding_by_status(session: Session) -> list[StatusLine]:
    """One line per loan status, in the lifecycle's order, zeros included."""
    rows = session.execute(
        select(
            Loan.status,
            func.count(),
            _sum(Loan.principal_outstanding_minor),
            _sum(Loan.interest_outstanding_minor),
            _sum(Loan.penalty_outstanding_minor),
        ).group_by(Loan.status)
    ).all()
    found = {r[0]: [int(v) for v in r[1:]] for r in rows}
    lines = []
    for status in LoanStatus:
        count, principal, interest, penalty = found.get(status.value, [0, 0, 0, 0])
        lines.append(
            StatusLine(
                status=status.value,
                loans_count=count,
                principal_minor=principal,
                interest_minor=interest,
                penalty_minor=penalty,
                outstanding_minor=principal + interest + penalty,
            )
        )
    return lines


def status_total(lines: Sequence[StatusLine]) -> StatusLine:
    return StatusLine(
        status="total",
        loans_count=sum(x.loans_count for x in lines),
        principal_minor=sum(x.principal_minor for x in lines),
        interest_minor=sum(x.interest_minor for x in lines),
        penalty_minor=sum(x.penalty_minor for x in lines),
        outstanding_minor=sum(x.outstanding_minor for x in lines),
    )


def portfolio_at_risk(session: Session, as_of: date) -> tuple[tuple[int, int, int], list[ParLine]]:
    """((loans, principal, outstanding) of the portfolio, PAR lines) in one statement.

    The portfolio is every open loan owing anything. A loan is in PAR N when its oldest
    unpaid due date is more than N days before ``as_of`` (``past_due``: a bullet loan's due
    date, an instalment loan's oldest unpaid instalment's); all it owes counts.
    """
    owed = _owed()
    columns: list[ColumnElement[Any]] = [
        func.count(),
        _sum(Loan.principal_outstanding_minor),
        _sum(owed),
    ]
    for days in PAR_DAYS:
        late = more_days_past_due_than(days, as_of)
        columns += [
            func.count(case((late, 1))),
            _sum(case((late, Loan.principal_outstanding_minor), else_=0)),
            _sum(case((late, owed), else_=0)),
        ]
    row = [
        int(v)
        for v in session.execute(
            select(*columns).where(Loan.status.in_(OPEN_STATUSES), owed > 0)
        ).one()
    ]
    portfolio = (row[0], row[1], row[2])
    lines = []
    for i, days in enumerate(PAR_DAYS):
        count, principal, outstanding = row[3 + 3 * i : 6 + 3 * i]
        lines.append(
            ParLine(
                days_over=days,
                loans_count=count,
                principal_minor=principal,
                outstanding_minor=outstanding,
                share_bp=ratio_bp(outstanding, portfolio[2]),
            )
        )
    return portfolio, lines


def _by_day(session: Session, query: Any) -> dict[date, list[int]]:
    found: dict[date, list[int]] = {}
    for day, *values in session.execute(query).all():
        key = day if isinstance(day, date) else date.fromisoformat(day)
        found[key] = [int(v) for v in values]
    return found


def daily_flows(session: Session, window: DayRange) -> list[DayLine]:
    """Disbursed, repaid, due and repaid on time, per business day of ``window`` (dense)."""
    start, end = start_of(window.first), end_of(window.last)
    paid_out = business_day_of(Payout.resolved_at)
    disbursed = _by_day(
        session,
        select(paid_out, func.count(), _sum(Payout.principal_minor))
        .where(
            Payout.purpose.in_((PayoutPurpose.LOAN, PayoutPurpose.TOPUP)),
            Payout.status == PayoutStatus.SUCCEEDED,
            Payout.resolved_at.between(start, end),
        )
        .group_by(paid_out),
    )
    received = business_day_of(Repayment.received_at)
    repaid = _by_day(
        session,
        select(received, func.count(), _sum(Repayment.amount_minor - Repayment.overpayment_minor))
        .where(Repayment.received_at.between(start, end))
        .group_by(received),
    )
    in_window = Loan.due_on.between(window.first, window.last)
    due = _by_day(
        session,
        select(Loan.due_on, func.count(), _sum(Loan.principal_disbursed_minor))
        .where(in_window)
        .group_by(Loan.due_on),
    )
    on_time = _by_day(
        session,
        select(Loan.due_on, _sum(Repayment.principal_minor))
        .join(Repayment, Repayment.loan_id == Loan.id)
        .where(in_window, business_day_of(Repayment.received_at) <= Loan.due_on)
        .group_by(Loan.due_on),
    )
    lines = []
    for day in window.days:
        d_count, d_principal = disbursed.get(day, [0, 0])
        r_count, r_amount = repaid.get(day, [0, 0])
        due_count, due_principal = due.get(day, [0, 0])
        (paid_on_time,) = on_time.get(day, [0])
        lines.append(
            DayLine(
                date=day,
                disbursed_count=d_count,
                disbursed_principal_minor=d_principal,
                repayments_count=r_count,
                repaid_minor=r_amount,
                due_count=due_count,
                due_principal_minor=due_principal,
                repaid_on_time_principal_minor=paid_on_time,
                repayment_rate_bp=ratio_bp(paid_on_time, due_principal),
            )
        )
    return lines


def days_total(lines: Sequence[DayLine], last: date) -> DayLine:
    due = sum(x.due_principal_minor for x in lines)
    on_time = sum(x.repaid_on_time_principal_minor for x in lines)
    return DayLine(
        date=last,
        disbursed_count=sum(x.disbursed_count for x in lines),
        disbursed_principal_minor=sum(x.disbursed_principal_minor for x in lines),
        repayments_count=sum(x.repayments_count for x in lines),
        repaid_minor=sum(x.repaid_minor for x in lines),
        due_count=sum(x.due_count for x in lines),
        due_principal_minor=due,
        repaid_on_time_principal_minor=on_time,
        repayment_rate_bp=ratio_bp(on_time, due),
    )


def portfolio_report(session: Session, as_of: date, window: DayRange) -> PortfolioReport:
    by_status = outstanding_by_status(session)
    (count, principal, outstanding), par = portfolio_at_risk(session, as_of)
    days = daily_flows(session, window)
    return PortfolioReport(
        as_of=as_of,
        portfolio_loans_count=count,
        portfolio_principal_minor=principal,
        portfolio_outstanding_minor=outstanding,
        by_status=by_status,
        total=status_total(by_status),
        par=par,
        from_date=window.first,
        to_date=window.last,
        days=days,
        days_total=days_total(days, window.last),
    )
