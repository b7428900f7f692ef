"""The nightly run on an instalment loan: KES 12,000 at 7% over 3 monthly EMI instalments
from 2 March 2026 (4,047.14 on 2 April, interest 71.34; 4,047.14 on 2 May; 4,047.15 on
2 June). After every night: the loan's outstanding columns are the sums over its
instalments, the trial balance nets to zero and the subledger agrees with the control
accounts (``night_by_night``)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.borrowers.models import DEFAULT_FREEZE, Borrower
from app.clock import business_date
from app.lending.accrual import accrue_through
from app.lending.models import LimitDecision, LoanStatus
from app.money import kes
from app.notifications.models import SmsMessage
from tests.support.instalments import (
    GROUP_PRINCIPAL,
    checked_loan,
    instalment_rows,
    night_by_night,
    open_group_loan,
    sms_text,
)
from tests.support.lending import KES, Fund

FIRST_DUE = date(2026, 4, 2)
SECOND_DUE = date(2026, 5, 2)
LAST_DUE = date(2026, 6, 2)
INSTALMENT_1 = 4_047_14
INTEREST_1 = 71_34
SCHEDULED_INTEREST = 3 * 4_047_14 + 1 - GROUP_PRINCIPAL  # 141.43
PENALTY_10_PCT_A_DAY = 365_000
"""3,650% a year: 10% of the overdue amount a day, to reach in-duplum within weeks."""


def _rerun_tonight(fund: Fund) -> None:
    accrue_through(fund.sessions, fund.clock, business_date(fund.clock()))


def _reminders(fund: Fund, loan_id: int) -> list[tuple[str, date]]:
    with fund.sessions.reader() as session:
        rows = session.scalars(
            select(SmsMessage)
            .where(SmsMessage.dedupe_key.like(f"reminder:{loan_id}:%"))
            .order_by(SmsMessage.id)
        )
        return [(row.dedupe_key, business_date(row.created_at)) for row in rows]


def test_interest_is_recognised_on_the_due_date_not_the_night_before(fund: Fund) -> None:
    _, loan_id = open_group_loan(fund)
    night_by_night(fund, loan_id, FIRST_DUE - timedelta(days=1))
    assert checked_loan(fund, loan_id).interest_accrued_minor == 0
    night_by_night(fund, loan_id, FIRST_DUE)
    loan = checked_loan(fund, loan_id)
    assert (loan.interest_outstanding_minor, loan.penalty_outstanding_minor) == (INTEREST_1, 0)
    _rerun_tonight(fund)
    assert checked_loan(fund, loan_id).interest_accrued_minor == INTEREST_1


def test_penalty_from_day_3_at_36_5_percent_charges_4_04_then_4_05(fund: Fund) -> None:
    """4,047.14 overdue x 36.5% / 365 = 4.04714 a day: 4.04, then 4.05 with the carry."""
    _, loan_id = open_group_loan(fund, penalty_from_day=3, penalty_rate_bp=3_650)
    night_by_night(fund, loan_id, FIRST_DUE + timedelta(days=2))
    assert checked_loan(fund, loan_id).penalty_accrued_minor == 0
    night_by_night(fund, loan_id, FIRST_DUE + timedelta(days=3))
    assert instalment_rows(fund, loan_id)[0].penalty_minor == 4_04
    night_by_night(fund, loan_id, FIRST_DUE + timedelta(days=4))
    first, second, third = instalment_rows(fund, loan_id)
    assert (first.penalty_minor, second.penalty_minor, third.penalty_minor) == (8_09, 0, 0)
    assert checked_loan(fund, loan_id).penalty_outstanding_minor == 8_09
    fund.repay(loan_id, 10 * KES, "PEN1")  # penalty first, then interest
    first = instalment_rows(fund, loan_id)[0]
    assert (first.paid_penalty_minor, first.paid_interest_minor) == (8_09, 10 * KES - 8_09)
    checked_loan(fund, loan_id)


def test_penalty_stops_at_in_duplum_principal_less_scheduled_interest(fund: Fund) -> None:
    _, loan_id = open_group_loan(
        fund, penalty_rate_bp=PENALTY_10_PCT_A_DAY, default_after_dpd=300, default_day=300
    )
    cap = GROUP_PRINCIPAL - SCHEDULED_INTEREST
    night_by_night(fund, loan_id, LAST_DUE + timedelta(days=20))
    loan = checked_loan(fund, loan_id)
    assert loan.penalty_accrued_minor == cap
    assert loan.interest_accrued_minor + loan.penalty_accrued_minor == GROUP_PRINCIPAL
    night_by_night(fund, loan_id, LAST_DUE + timedelta(days=30))
    assert checked_loan(fund, loan_id).penalty_accrued_minor == cap


def test_30_days_past_due_defaults_the_loan_as_a_bullet_default_does(fund: Fund) -> None:
    borrower_id, loan_id = open_group_loan(fund)
    night_by_night(fund, loan_id, SECOND_DUE - timedelta(days=1))  # 29 days past due
    assert checked_loan(fund, loan_id).status == LoanStatus.ACTIVE
    night_by_night(fund, loan_id, SECOND_DUE)
    assert checked_loan(fund, loan_id).status == LoanStatus.DEFAULTED
    borrower = fund.borrower(borrower_id)
    assert borrower.frozen_reason == DEFAULT_FREEZE
    with fund.sessions.reader() as session:
        reasons = session.scalars(
            select(LimitDecision.reason).where(LimitDecision.borrower_id == borrower_id)
        ).all()
    assert reasons[-1] == "default_reset"
    assert sms_text(fund, f"default:{loan_id}") is not None
    night_by_night(fund, loan_id, SECOND_DUE + timedelta(days=5))  # still accrues penalty
    assert checked_loan(fund, loan_id).status == LoanStatus.DEFAULTED


def test_one_reminder_5_days_before_each_instalment_however_often_the_night_runs(
    fund: Fund,
) -> None:
    _, loan_id = open_group_loan(fund)
    for n, due in enumerate((FIRST_DUE, SECOND_DUE, LAST_DUE), start=1):
        night_by_night(fund, loan_id, due)
        _rerun_tonight(fund)
        fund.repay(loan_id, instalment_rows(fund, loan_id)[n - 1].total_minor, f"PAY{n}")
    assert _reminders(fund, loan_id) == [
        (f"reminder:{loan_id}:instalment:1", date(2026, 3, 28)),
        (f"reminder:{loan_id}:instalment:2", date(2026, 4, 27)),
        (f"reminder:{loan_id}:instalment:3", date(2026, 5, 28)),
    ]
    assert checked_loan(fund, loan_id).status == LoanStatus.REPAID


def test_the_reminder_of_a_prepaid_instalment_asks_only_for_what_is_left(fund: Fund) -> None:
    """A prepayment pays principal from the last instalment back; instalment 2 keeps its
    scheduled interest, so its reminder asks for that alone."""
    _, loan_id = open_group_loan(fund)
    fund.repay(loan_id, GROUP_PRINCIPAL - 1_000 * KES, "PRE1")  # instalments 3, 2, most of 1
    second = instalment_rows(fund, loan_id)[1]
    assert second.paid_principal_minor == second.principal_minor
    night_by_night(fund, loan_id, SECOND_DUE - timedelta(days=5))
    text = sms_text(fund, f"reminder:{loan_id}:instalment:2")
    assert text is not None
    assert f"{kes(second.interest_minor)}, is due on 02-05-2026" in text


def test_a_bullet_loan_beside_an_instalment_loan_accrues_as_it_would_alone(fund: Fund) -> None:
    """10,000 for 14 days at 8%: 30.68 of interest; day 15 adds 2.60 of penalty interest."""
    _, instalment_loan = open_group_loan(fund)
    bullet_borrower = fund.register("23456780", "0110123456")
    with fund.sessions.unit_of_work() as session:
        session.get(Borrower, bullet_borrower).credit_limit_minor = 10_000 * KES  # type: ignore[union-attr]
    fund.borrow(bullet_borrower, 10_000 * KES)
    bullet = fund.loan_of(bullet_borrower)
    night_by_night(fund, instalment_loan, business_date(fund.clock()) + timedelta(days=14))
    assert fund.loan_of(bullet_borrower).interest_accrued_minor == 30_68
    night_by_night(fund, instalment_loan, business_date(fund.clock()) + timedelta(days=1))
    assert fund.loan_of(bullet_borrower).penalty_accrued_minor == 2_60
    assert bullet.id != instalment_loan
