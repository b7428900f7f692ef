"""An instalment loan in the lending core: KES 12,000 at 7% over 3 monthly EMI instalments,
disbursed on 2 March 2026 (ACT/365): 4,047.14 on 2 April (interest 71.34 = 12,000 x 7% x
31/365), 4,047.14 on 2 May, 4,047.15 on 2 June."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.lending import errors
from app.lending.instalments import days_past_due
from app.lending.models import Loan, LoanStatus
from tests.support.instalments import (
    GROUP_CODE,
    GROUP_PRINCIPAL,
    checked_loan,
    instalment_rows,
    open_group_loan,
    travel_to,
)
from tests.support.lending import KES, Fund

PRINCIPAL = GROUP_PRINCIPAL
FIRST_DUE = date(2026, 4, 2)
INSTALMENT_1 = 4_047_14
INTEREST_1 = 71_34


def _dpd(fund: Fund, loan_id: int, as_of: date) -> int:
    with fund.sessions.reader() as session:
        loan = session.get(Loan, loan_id)
        assert loan is not None
        return days_past_due(session, loan, as_of)


def test_disbursed_12000_gets_3_instalments_summing_to_the_principal(fund: Fund) -> None:
    _, loan_id = open_group_loan(fund)
    rows = instalment_rows(fund, loan_id)
    assert [(r.number, r.due_on, r.total_minor) for r in rows] == [
        (1, FIRST_DUE, INSTALMENT_1),
        (2, date(2026, 5, 2), INSTALMENT_1),
        (3, date(2026, 6, 2), 4_047_15),
    ]
    assert sum(r.principal_minor for r in rows) == PRINCIPAL
    assert rows[0].interest_minor == INTEREST_1
    loan = checked_loan(fund, loan_id)
    assert (loan.status, loan.due_on, loan.interest_outstanding_minor) == (
        LoanStatus.ACTIVE,
        date(2026, 6, 2),
        0,
    )


def test_the_nightly_run_recognises_interest_when_the_instalment_falls_due_not_before(
    fund: Fund,
) -> None:
    _, loan_id = open_group_loan(fund)
    travel_to(fund, FIRST_DUE - timedelta(days=1))
    assert checked_loan(fund, loan_id).interest_outstanding_minor == 0
    travel_to(fund, FIRST_DUE)
    loan = checked_loan(fund, loan_id)
    assert (loan.interest_outstanding_minor, loan.interest_accrued_minor) == (
        INTEREST_1,
        INTEREST_1,
    )
    assert instalment_rows(fund, loan_id)[0].interest_recognised_minor == INTEREST_1
    assert _dpd(fund, loan_id, FIRST_DUE) == 0
    assert _dpd(fund, loan_id, FIRST_DUE + timedelta(days=10)) == 10


def test_paying_instalment_1_exactly_on_its_due_date_marks_it_paid(fund: Fund) -> None:
    _, loan_id = open_group_loan(fund)
    travel_to(fund, FIRST_DUE)
    fund.repay(loan_id, INSTALMENT_1, "INST1")
    first, second, third = instalment_rows(fund, loan_id)
    assert first.is_paid
    assert first.paid_interest_minor == INTEREST_1
    assert (second.paid_minor, third.paid_minor) == (0, 0)
    loan = checked_loan(fund, loan_id)
    assert loan.principal_outstanding_minor == PRINCIPAL - (INSTALMENT_1 - INTEREST_1)
    assert loan.interest_accrued_minor == INTEREST_1
    assert _dpd(fund, loan_id, date(2026, 5, 1)) == 0


def test_a_partial_payment_pays_interest_first_and_leaves_the_rest_due(fund: Fund) -> None:
    _, loan_id = open_group_loan(fund)
    travel_to(fund, FIRST_DUE)
    fund.repay(loan_id, 1_000 * KES, "PART1")
    first = instalment_rows(fund, loan_id)[0]
    assert (first.paid_interest_minor, first.paid_principal_minor) == (
        INTEREST_1,
        1_000 * KES - INTEREST_1,
    )
    assert not first.is_paid
    checked_loan(fund, loan_id)
    assert _dpd(fund, loan_id, FIRST_DUE + timedelta(days=7)) == 7
    fund.repay(loan_id, INSTALMENT_1 - 1_000 * KES, "PART2")
    assert instalment_rows(fund, loan_id)[0].is_paid
    assert _dpd(fund, loan_id, FIRST_DUE + timedelta(days=7)) == 0
    checked_loan(fund, loan_id)


def test_an_overpayment_prepays_the_last_instalment_first(fund: Fund) -> None:
    _, loan_id = open_group_loan(fund)
    travel_to(fund, FIRST_DUE)
    fund.repay(loan_id, INSTALMENT_1 + 1_500 * KES, "OVER1")
    first, second, third = instalment_rows(fund, loan_id)
    assert first.is_paid
    assert second.paid_minor == 0
    assert (third.paid_principal_minor, third.paid_interest_minor) == (1_500 * KES, 0)
    checked_loan(fund, loan_id)


def test_paying_everything_and_more_closes_the_loan_with_a_credit_balance(
    fund: Fund,
) -> None:
    borrower_id, loan_id = open_group_loan(fund)
    travel_to(fund, FIRST_DUE)
    owed_now = PRINCIPAL + INTEREST_1  # later instalments' interest is not yet due
    fund.repay(loan_id, owed_now + 250 * KES, "ALL1")
    loan = checked_loan(fund, loan_id)
    assert loan.status == LoanStatus.REPAID
    assert fund.borrower(borrower_id).credit_balance_minor == 250 * KES
    assert sum(r.paid_principal_minor for r in instalment_rows(fund, loan_id)) == PRINCIPAL


def test_days_past_due_follow_the_oldest_unpaid_instalment(fund: Fund) -> None:
    _, loan_id = open_group_loan(fund)
    travel_to(fund, date(2026, 5, 1))
    assert _dpd(fund, loan_id, date(2026, 5, 1)) == 29  # instalment 1, due 2 April
    penalty_1 = instalment_rows(fund, loan_id)[0].penalty_minor  # 1.5% a year from 3 April
    assert penalty_1 > 0
    fund.repay(loan_id, INSTALMENT_1 + penalty_1, "LATE1")
    first, second, _ = instalment_rows(fund, loan_id)
    assert first.is_paid
    assert not second.is_paid
    assert second.interest_recognised_minor == 0  # due 2 May
    assert _dpd(fund, loan_id, date(2026, 5, 10)) == 8  # instalment 2, due 2 May
    checked_loan(fund, loan_id)


def test_an_instalment_loan_cannot_be_topped_up(fund: Fund) -> None:
    borrower_id, _ = open_group_loan(fund)
    with pytest.raises(errors.TopUpNotOffered):
        fund.request(borrower_id, 1_000 * KES, "top-up", product=GROUP_CODE)


def test_a_bullet_loan_gets_no_instalments_and_keeps_its_days_past_due(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    loan = fund.loan_of(borrower_id)
    assert instalment_rows(fund, loan.id) == []
    assert loan.due_on is not None
    assert _dpd(fund, loan.id, loan.due_on) == 0
    assert _dpd(fund, loan.id, loan.due_on + timedelta(days=3)) == 3
