"""Restructuring an instalment loan under four eyes (``loan_restructure``): the KES 12,000
loan (3 monthly instalments from 2 March 2026), instalment 1 unpaid and 18 days late on
20 April, rescheduled over 4 monthly instalments from that day. What was due (71.34 of
interest, the penalty) and April's interest to the 20th (12,000 x 7% x 18/365 = 41.42) stay
due on the first new instalment; nothing is capitalised."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from app.approvals.models import ApprovalStatus
from app.audit.models import AuditRecord
from app.lending.instalments import days_past_due
from app.lending.models import Loan, LoanInstalment
from app.lending.restructure_requests import LOAN_RESTRUCTURE, LoanChanged
from app.lending.restructures import NotRestructurable, RestructureRefused
from app.loan_math.schedules.methods import generate
from app.products.terms import ProductTerms
from tests.integration.test_maker_checker import check, make, stored
from tests.support.instalments import (
    RESTRUCTURED_OVER_4,
    checked_loan,
    instalment_rows,
    open_group_loan,
    travel_to,
)
from tests.support.lending import KES, Fund
from tests.support.settlement import quote_today

TODAY = date(2026, 4, 20)
ACCRUED_TO_TODAY = 41_42


def _ask(fund: Fund, loan_id: int, **terms: object) -> int:
    asked = {"loan_id": loan_id, "asked_on": TODAY.isoformat(), **terms}
    return make(fund, LOAN_RESTRUCTURE, asked, reason="Lost a harvest").approval.id


def _all_rows(fund: Fund, loan_id: int) -> list[LoanInstalment]:
    with fund.sessions.reader() as session:
        return list(
            session.scalars(
                select(LoanInstalment)
                .where(LoanInstalment.loan_id == loan_id)
                .order_by(LoanInstalment.number)
            )
        )


def _late_loan(fund: Fund) -> int:
    _, loan_id = open_group_loan(fund)
    travel_to(fund, TODAY)
    return loan_id


def test_a_loan_in_arrears_rescheduled_keeps_what_was_due_on_the_first_new_instalment(
    fund: Fund,
) -> None:
    loan_id = _late_loan(fund)
    before = checked_loan(fund, loan_id)
    penalty = before.penalty_outstanding_minor
    assert (before.interest_outstanding_minor, penalty > 0) == (71_34, True)
    approval_id = _ask(fund, loan_id, instalments=4)
    preview = stored(fund, approval_id).payload["preview"]
    assert (preview["instalments"], preview["first_due_on"]) == (4, "2026-05-20")
    assert check(fund, approval_id).failure is None
    rows = _all_rows(fund, loan_id)
    assert [(r.number, r.status) for r in rows] == RESTRUCTURED_OVER_4
    with fund.sessions.reader() as session:
        loan = session.get(Loan, loan_id)
        assert loan is not None
        terms = ProductTerms.from_snapshot(loan.product_terms)
        fresh = generate(replace(terms.schedule_terms(12_000 * KES, TODAY), term=4))
        assert days_past_due(session, loan, TODAY) == 0
    first = rows[3]
    scheduled = fresh.instalments[0]
    assert first.period_start == TODAY
    assert first.principal_minor == scheduled.principal_minor
    assert first.interest_minor == scheduled.interest_minor + 71_34 + ACCRUED_TO_TODAY
    assert first.interest_recognised_minor == 71_34 + ACCRUED_TO_TODAY
    assert (first.penalty_minor, first.paid_penalty_minor) == (penalty, 0)
    assert [r.due_on for r in rows[3:]] == [i.due_date for i in fresh.instalments]
    assert sum(r.principal_minor for r in rows[3:]) == 12_000 * KES  # nothing capitalised
    loan = checked_loan(fund, loan_id)
    assert (loan.restructure_count, loan.restructured_at is not None) == (1, True)
    assert loan.due_on == rows[-1].due_on
    assert loan.interest_outstanding_minor == 71_34 + ACCRUED_TO_TODAY
    with fund.sessions.reader() as session:
        effect = session.scalar(select(AuditRecord).where(AuditRecord.action == "loan.restructure"))
    assert effect is not None
    assert effect.after is not None
    assert effect.after["restructure_count"] == 1


def test_a_restructured_loan_settles_and_repays_like_any_other(fund: Fund) -> None:
    loan_id = _late_loan(fund)
    assert check(fund, _ask(fund, loan_id, first_due_on="2026-06-05")).failure is None
    new_rows = instalment_rows(fund, loan_id)
    assert [r.number for r in new_rows] == [4, 5, 6]  # as many as were open
    assert [r.due_on for r in new_rows] == [date(2026, 6, 5), date(2026, 7, 5), date(2026, 8, 5)]
    travel_to(fund, date(2026, 6, 5))
    fund.repay(loan_id, instalment_rows(fund, loan_id)[0].left_minor, "NEW1")
    assert instalment_rows(fund, loan_id)[0].status == "paid"
    checked_loan(fund, loan_id)
    travel_to(fund, date(2026, 6, 20))
    fund.repay(loan_id, quote_today(fund, loan_id).total_minor, "NEWALL")
    loan = checked_loan(fund, loan_id)
    assert (loan.status, loan.outstanding_minor) == ("repaid", 0)
    assert {r.status for r in _all_rows(fund, loan_id)} == {"superseded", "paid"}


def test_a_restructure_fails_if_the_loan_was_repaid_in_part_meanwhile(fund: Fund) -> None:
    loan_id = _late_loan(fund)
    approval_id = _ask(fund, loan_id, instalments=6)
    fund.repay(loan_id, 5_000 * KES, "MEANWHILE")
    decision = check(fund, approval_id)
    assert isinstance(decision.failure, LoanChanged)
    assert stored(fund, approval_id).status == ApprovalStatus.FAILED
    assert {r.status for r in _all_rows(fund, loan_id)} <= {"open", "paid"}
    assert checked_loan(fund, loan_id).restructure_count == 0


def test_a_bullet_loan_or_impossible_terms_are_refused_when_asked(fund: Fund) -> None:
    loan_id = _late_loan(fund)
    borrower_id = fund.register("23456780", "0110123456")
    fund.borrow(borrower_id, 500 * KES)
    with pytest.raises(NotRestructurable):
        _ask(fund, fund.loan_of(borrower_id).id, instalments=3)
    with pytest.raises(RestructureRefused):
        _ask(fund, loan_id, first_due_on="2026-09-30")  # over 2 periods after the start
