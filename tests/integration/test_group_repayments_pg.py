"""Every member of a group paying its loan at the same instant on PostgreSQL: real threads,
each with its own connection and transaction. Each payment is allocated exactly once (one
contribution each, the instalments paid exactly what was paid), no money is lost, and the
books agree."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.groups.loan_models import GroupContribution, GroupLoan, GroupLoanInstalment
from app.groups.repayments import GroupPayment, repay, schedule_of
from ledger import Ledger
from tests.support.groups import apply_for, approve_both_gates, form_group, group_loan
from tests.support.lending import KES, Fund

pytestmark = pytest.mark.postgres

AMOUNT = 30_000 * KES
EACH = 1_000 * KES


def test_ten_members_paying_at_once_are_each_allocated_once(pg_fund: Fund) -> None:
    group = form_group(pg_fund)
    approve_both_gates(pg_fund, applied := apply_for(pg_fund, group, AMOUNT))
    pg_fund.settle_all()
    loan, _ = group_loan(pg_fund, applied.id)
    with pg_fund.sessions.reader() as session:
        first_due = schedule_of(session, loan.id)[0].due_on
    pg_fund.clock.advance(days=(first_due - loan.disbursed_on).days)  # type: ignore[operator]
    payments = [*group.members, *group.members]  # each member twice, one key each
    start = threading.Barrier(len(payments))

    def pay(index: int) -> int:
        start.wait()
        member = payments[index]
        with pg_fund.sessions.unit_of_work() as session:
            payment = GroupPayment(loan.id, member, EACH, f"pg-{index}", "stk", pg_fund.clock())
            return repay(session, Ledger(session, pg_fund.clock), payment, pg_fund.clock()).id

    with ThreadPoolExecutor(len(payments)) as pool:
        ids = list(pool.map(pay, range(len(payments))))

    assert len(set(ids)) == len(payments)
    with pg_fund.sessions.reader() as session:
        total = session.scalar(
            select(func.sum(GroupContribution.amount_minor)).where(
                GroupContribution.group_loan_id == loan.id
            )
        )
        paid_rows = session.scalar(
            select(
                func.sum(
                    GroupLoanInstalment.paid_principal_minor
                    + GroupLoanInstalment.paid_interest_minor
                )
            ).where(GroupLoanInstalment.group_loan_id == loan.id)
        )
        after = session.get(GroupLoan, loan.id)
        assert after is not None
        interest = session.scalar(
            select(func.sum(GroupLoanInstalment.interest_recognised_minor)).where(
                GroupLoanInstalment.group_loan_id == loan.id
            )
        )
    assert total == paid_rows == EACH * len(payments)
    owed_after = after.principal_outstanding_minor + after.interest_outstanding_minor
    assert owed_after == AMOUNT + (interest or 0) - EACH * len(payments)
    pg_fund.assert_books_agree()
