"""The nightly run of group loans: interest of instalments fallen due, penalty on the overdue
ones, as for individual instalment loans (docs/instalments.md, "The nightly run").

- Interest: the instalments due on or before the run's business date have their scheduled
  interest recognised (Dr 1240 / Cr 4000, the repayment path's function), none before.
- Penalty: on date D an instalment due on ``due_on`` and not fully paid is charged one day of
  simple interest at the product's ``penalty_rate_bp`` (whole cents, the fraction carried
  per instalment, ``loan_math.interest.charge_day``) on its principal and scheduled interest
  not yet paid, once D - due_on >= ``penalty_from_day``, while loan day <= ``accrual_stop_day``;
  in-duplum: scheduled interest plus penalty never above the principal paid out. One entry
  per loan and run: Dr 1250 / Cr 4010, tied to the group and the loan.
- Each loan in its own transaction, locked; ``days_accrued`` makes a rerun add nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounting.chart import Acct, fund_accounts
from app.clock import EAT, Clock
from app.db.session import Sessions
from app.groups import arrears
from app.groups.loan_models import (
    OPEN_GROUP_LOAN_STATUSES,
    GroupLoan,
    GroupLoanInstalment,
    GroupLoanStatus,
)
from app.groups.repayments import recognise_due_interest, schedule_of, terms_of
from app.loan_math.interest import charge_day
from app.tasks import refs
from app.tasks.sweeps import RowFailures
from ledger import EntryRequest, Ledger, PostingLine


def accrue_group_loans(sessions: Sessions, clock: Clock, through: date) -> int:
    """Bring every active group loan to ``through``; how many were looked at."""
    with sessions.reader() as session:
        loan_ids = session.scalars(
            select(GroupLoan.id)
            .where(GroupLoan.status.in_(OPEN_GROUP_LOAN_STATUSES))
            .order_by(GroupLoan.id)
        ).all()
    failures = RowFailures(refs.ACCRUE_GROUP_LOANS.name)
    for loan_id in loan_ids:
        with failures.row(loan_id), sessions.unit_of_work() as session:
            accrue_loan(session, Ledger(session, clock), loan_id, through)
    failures.raise_if_any()
    return len(loan_ids)


def accrue_loan(session: Session, ledger: Ledger, loan_id: int, through: date) -> None:
    loan = session.get(GroupLoan, loan_id, with_for_update=True, populate_existing=True)
    if loan is None or loan.status not in OPEN_GROUP_LOAN_STATUSES or loan.disbursed_on is None:
        return
    target = (through - loan.disbursed_on).days
    if target <= loan.days_accrued:
        return  # brought here already (its arrears too: a payment refreshes them)
    value_time = datetime.combine(through, time(0, 0), tzinfo=EAT)
    rows = schedule_of(session, loan.id)
    recognise_due_interest(ledger, loan, rows, through, value_time)
    terms = terms_of(session, loan)
    headroom = max(
        loan.principal_disbursed_minor
        - sum(row.interest_minor for row in rows)
        - loan.penalty_accrued_minor,
        0,
    )
    charged = 0
    for n in range(loan.days_accrued + 1, min(target, terms.accrual_stop_day) + 1):
        day = loan.disbursed_on + timedelta(days=n)
        for row in rows:
            if (day - row.due_on).days < terms.penalty_from_day:
                break  # in due-date order: no later row is overdue enough either
            base = _overdue_base(row)
            if base <= 0:
                continue
            amount, row.penalty_carry_units, _ = charge_day(
                row.penalty_carry_units, base, terms.penalty_rate_bp, headroom
            )
            row.penalty_minor += amount
            headroom -= amount
            charged += amount
    loan.days_accrued = target
    arrears.refresh(session, loan, rows, through)
    _default_if_due(loan, terms.default_after_dpd, through)
    if charged:
        _post_penalty(ledger, loan, charged, through, value_time)
        loan.penalty_outstanding_minor += charged
        loan.penalty_accrued_minor += charged
    session.flush()


def _default_if_due(loan: GroupLoan, after_dpd: int | None, through: date) -> None:
    """An active loan in arrears for the product's ``default_after_dpd`` days defaults."""
    if after_dpd is None or loan.status != GroupLoanStatus.ACTIVE or loan.arrears_since is None:
        return
    if (through - loan.arrears_since).days >= after_dpd:
        loan.status, loan.defaulted_on = GroupLoanStatus.DEFAULTED, through


def _overdue_base(row: GroupLoanInstalment) -> int:
    return (row.principal_minor - row.paid_principal_minor) + (
        row.interest_minor - row.paid_interest_minor
    )


def _post_penalty(
    ledger: Ledger, loan: GroupLoan, amount: int, through: date, at: datetime
) -> None:
    accounts = fund_accounts(ledger)
    ledger.post(
        EntryRequest(
            f"group-penalty:{loan.id}:{through.isoformat()}",
            [
                PostingLine.debit(accounts[Acct.GROUP_PENALTY], amount),
                PostingLine.credit(accounts[Acct.PENALTY_INCOME], amount),
            ],
            f"Penalty on overdue instalments of group loan {loan.account_number}",
            reference=f"group_loan:{loan.id}",
            metadata={"group_id": loan.group_id, "group_loan_id": loan.id},
            effective_at=at,
        )
    )
