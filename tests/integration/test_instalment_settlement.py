"""Settling an instalment loan (KES 12,000 at 7%, 3 monthly EMI instalments from 2 March
2026, ACT/365): the quote is principal outstanding + interest due + the current period's
interest accrued to today + penalty; paying it closes the loan and every instalment, with
that accrued interest recognised (Dr 1210 / Cr 4000) and the books balanced."""

from __future__ import annotations

from datetime import date

from app.lending.models import LoanStatus
from ledger import Ledger
from tests.support.instalments import checked_loan, instalment_rows, open_group_loan, travel_to
from tests.support.lending import KES, Fund
from tests.support.settlement import quote_today

PRINCIPAL_1 = 3_975_80  # instalment 1: 4,047.14 less 71.34 of interest


def _interest_income(fund: Fund) -> int:
    with fund.sessions.reader() as session:
        return Ledger(session, fund.clock).account_by_code("4000").balance.posted_minor


def _settle(fund: Fund, loan_id: int, borrower_id: int, receipt: str) -> None:
    quote = quote_today(fund, loan_id)
    fund.repay(loan_id, quote.total_minor, receipt)
    loan = checked_loan(fund, loan_id)
    assert (loan.status, loan.outstanding_minor) == (LoanStatus.REPAID, 0)
    assert {row.status for row in instalment_rows(fund, loan_id)} == {"paid"}
    assert fund.borrower(borrower_id).credit_balance_minor == 0


def test_15_days_in_the_quote_is_the_principal_and_15_days_of_interest(fund: Fund) -> None:
    borrower_id, loan_id = open_group_loan(fund)
    travel_to(fund, date(2026, 3, 17))
    quote = quote_today(fund, loan_id)
    # 12,000 x 7% x 15/365 = 34.5205...
    assert (quote.principal_minor, quote.interest_due_minor) == (12_000 * KES, 0)
    assert (quote.interest_accrued_minor, quote.penalty_minor) == (34_52, 0)
    assert quote.total_minor == 12_034_52
    income_before = _interest_income(fund)
    _settle(fund, loan_id, borrower_id, "SETTLE1")
    assert _interest_income(fund) - income_before == 34_52
    first, second, third = instalment_rows(fund, loan_id)
    assert (first.interest_minor, second.interest_minor, third.interest_minor) == (34_52, 0, 0)


def test_after_instalment_1_the_quote_accrues_on_the_principal_left(fund: Fund) -> None:
    borrower_id, loan_id = open_group_loan(fund)
    travel_to(fund, date(2026, 4, 2))
    fund.repay(loan_id, 4_047_14, "INST1")
    travel_to(fund, date(2026, 4, 17))
    quote = quote_today(fund, loan_id)
    # 8,024.20 x 7% x 15/365 = 23.0833...
    assert (quote.principal_minor, quote.interest_accrued_minor) == (
        12_000 * KES - PRINCIPAL_1,
        23_08,
    )
    _settle(fund, loan_id, borrower_id, "SETTLE2")


def test_in_arrears_the_quote_adds_the_interest_due_and_the_penalty(fund: Fund) -> None:
    borrower_id, loan_id = open_group_loan(fund)
    travel_to(fund, date(2026, 4, 12))  # instalment 1 ten days late
    quote = quote_today(fund, loan_id)
    assert quote.interest_due_minor == 71_34
    assert quote.penalty_minor > 0
    # instalment 2's period (2 April - 2 May), 10 days on 12,000: 23.01
    assert quote.interest_accrued_minor == 23_01
    _settle(fund, loan_id, borrower_id, "SETTLE3")


def test_one_cent_short_of_the_quote_leaves_one_cent_owed_and_the_loan_open(
    fund: Fund,
) -> None:
    _, loan_id = open_group_loan(fund)
    travel_to(fund, date(2026, 3, 17))
    fund.repay(loan_id, quote_today(fund, loan_id).total_minor - 1, "SHORT1")
    loan = checked_loan(fund, loan_id)
    assert (loan.status, loan.principal_outstanding_minor) == (LoanStatus.ACTIVE, 1)
    assert loan.interest_accrued_minor == 34_52  # paying the principal off charges it
    first = instalment_rows(fund, loan_id)[0]  # a prepayment pays the last ones first
    assert first.principal_minor - first.paid_principal_minor == 1
