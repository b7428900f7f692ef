"""Issue 15 end to end: a group of ten applies, both gates pass, the loan is paid out to ten
wallets (one leg failing first, then settling by the sweep), six members repay the six
instalments (one late, with penalty; some on the paybill with the group's MG number, some in
the app's path), and the loan closes with the books balanced and the subledger equal to the
ledger."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.clock import EAT
from app.groups.accrual import accrue_group_loans
from app.groups.disbursement import RETRY_AFTER
from app.groups.repayments import GroupPayment, contributions_by_member, repay, schedule_of
from app.payments.payouts import sweep_payouts
from integrations.payments.memory import INSUFFICIENT_FUNDS, SUCCESS
from ledger import Ledger
from tests.integration.test_mpesa_processing import c2b
from tests.integration.test_mpesa_processing import deliver as deliver_callback
from tests.support.groups import (
    application,
    apply_for,
    approve_both_gates,
    form_group,
    group_loan,
    msisdn_of,
)
from tests.support.lending import KES, Fund

AMOUNT = 50_000 * KES
LATE_DAYS = 5


def test_a_group_of_ten_borrows_is_paid_out_repays_six_instalments_and_closes(
    fund: Fund,
) -> None:
    group = form_group(fund)
    applied = approve_both_gates(fund, apply_for(fund, group, AMOUNT))
    assert applied.status == "ready_for_payout"

    fund.provider.outcomes_by_msisdn[msisdn_of(6)] = INSUFFICIENT_FUNDS
    fund.settle_all()
    loan, legs = group_loan(fund, applied.id)
    assert loan.status == "disbursing"
    assert [leg.status for leg in legs].count("settled") == 9
    fund.provider.outcomes_by_msisdn[msisdn_of(6)] = SUCCESS
    fund.clock.advance(seconds=RETRY_AFTER.total_seconds())
    sweep_payouts(fund.sessions, fund.ports, fund.clock)
    fund.settle_all()
    loan, legs = group_loan(fund, applied.id)
    assert loan.status == "active"
    for n in range(10):
        assert fund.provider.money_sent_to(msisdn_of(n)) == AMOUNT // 10 * 95 // 100
    fund.assert_books_agree()

    with fund.sessions.reader() as session:
        rows = schedule_of(session, loan.id)
    assert len(rows) == 6
    payers = [3, 4, 5, 6, 7, 8]
    for row, person in zip(rows, payers, strict=True):
        late = row.number == 3
        day = row.due_on + timedelta(days=LATE_DAYS if late else 0)
        _night_of(fund, day)
        with fund.sessions.reader() as session:
            owed = schedule_of(session, loan.id)[row.number - 1]
        amount = owed.principal_minor + owed.interest_minor + owed.penalty_minor
        if late:
            assert owed.penalty_minor > 0
        else:
            assert owed.penalty_minor == 0
        if row.number % 2:  # odd instalments on the paybill, even ones by the app's path
            body = c2b(loan.account_number or "", f"{amount / 100:.2f}", f"TGRP{row.number:06d}")
            paid_at = fund.clock().astimezone(EAT).strftime("%Y%m%d%H%M%S")
            body |= {"MSISDN": msisdn_of(person), "TransTime": paid_at}
            deliver_callback(fund, "c2b/confirmation", body)
        else:
            with fund.sessions.unit_of_work() as session:
                payment = GroupPayment(
                    loan.id, group.members[person], amount, f"app-{row.number}", "stk", fund.clock()
                )
                repay(session, Ledger(session, fund.clock), payment, fund.clock())
        fund.assert_books_agree()

    loan, _ = group_loan(fund, applied.id)
    assert loan.status == "repaid"
    assert loan.principal_outstanding_minor == 0
    assert loan.interest_outstanding_minor == loan.penalty_outstanding_minor == 0
    assert loan.penalty_accrued_minor > 0
    with fund.sessions.reader() as session:
        by_member = contributions_by_member(session, loan.id)
    assert set(by_member) == {group.members[p] for p in payers}
    assert application(fund, applied.id).status == "loan_closed"
    fund.assert_books_agree()


def _night_of(fund: Fund, day: date) -> None:
    """Noon of ``day`` in Nairobi, after that night's run of group loans."""
    target = datetime.combine(day, time(12), EAT)
    fund.clock.advance(seconds=(target - fund.clock()).total_seconds())
    accrue_group_loans(fund.sessions, fund.clock, target.date())
