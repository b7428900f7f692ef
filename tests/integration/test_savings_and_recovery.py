"""Savings (withdrawals, deposits, the lien), reminders, write-offs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.borrowers.models import Borrower
from app.lending.delinquency import reminder_days
from app.lending.models import Loan, LoanStatus, RepaymentChannel
from app.lending.repayments import IncomingRepayment, apply_repayment
from app.lending.writeoffs import NotWriteOffable, write_off
from app.notifications.models import SmsMessage
from app.notifications.outbox import send_pending
from app.savings import errors
from app.savings.deposits import IncomingDeposit, apply_held_savings, deposit
from app.savings.withdrawals import request_refund, request_savings_withdrawal
from ledger import Ledger
from tests.support.lending import GOOD_PHONE, KES, Fund


def the_loan(fund: Fund) -> Loan:
    with fund.sessions.reader() as session:
        loan = session.scalar(select(Loan).order_by(Loan.id.desc()))
        assert loan is not None
        return loan


def the_borrower(fund: Fund, borrower_id: int) -> Borrower:
    return fund.borrower(borrower_id)


def days_pass(fund: Fund, days: int) -> None:
    fund.days_pass(days)


def repay_all(fund: Fund, receipt: str) -> None:
    loan = the_loan(fund)
    fund.repay(loan.id, loan.outstanding_minor, receipt)


def withdraw(fund: Fund, borrower_id: int, amount: int, key: str) -> int:
    with fund.sessions.unit_of_work() as session:
        return request_savings_withdrawal(
            session, Ledger(session, fund.clock), borrower_id, amount, key, fund.clock()
        ).id


def test_short_term_savings_are_withdrawn_only_with_no_open_loan(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 2_000 * KES)  # savings 100: 70 long, 30 short
    with pytest.raises(errors.LoanOpen):
        withdraw(fund, borrower_id, 30 * KES, "w1")
    repay_all(fund, "R1")
    with pytest.raises(errors.InsufficientSavings):
        withdraw(fund, borrower_id, 31 * KES, "w2")
    payout_id = withdraw(fund, borrower_id, 30 * KES, "w3")
    fund.settle(payout_id)
    assert the_borrower(fund, borrower_id).savings_short_minor == 0
    assert the_borrower(fund, borrower_id).savings_long_minor == 70 * KES
    assert fund.provider.money_sent_to("254712345678") == 1_900 * KES + 30 * KES
    fund.assert_books_agree()


def test_a_failed_withdrawal_puts_the_savings_back(fund: Fund) -> None:
    from integrations.payments.memory import INSUFFICIENT_FUNDS

    borrower_id = fund.register()
    fund.borrow(borrower_id, 2_000 * KES)
    repay_all(fund, "R1")
    fund.provider.outcomes_by_msisdn["254712345678"] = INSUFFICIENT_FUNDS
    fund.settle(withdraw(fund, borrower_id, 30 * KES, "w1"))
    assert the_borrower(fund, borrower_id).savings_short_minor == 30 * KES
    fund.assert_books_agree()


def test_a_voluntary_deposit_splits_70_30(fund: Fund) -> None:
    borrower_id = fund.register()
    with fund.sessions.unit_of_work() as session:
        incoming = IncomingDeposit(borrower_id, 1_000 * KES, "RKD1", fund.clock())
        deposit(session, Ledger(session, fund.clock), incoming)
    with fund.sessions.unit_of_work() as session:  # the same receipt again: nothing more
        deposit(session, Ledger(session, fund.clock), incoming)
    borrower = the_borrower(fund, borrower_id)
    assert (borrower.savings_long_minor, borrower.savings_short_minor) == (700 * KES, 300 * KES)
    fund.assert_books_agree()


def test_held_savings_can_be_applied_to_a_defaulted_debt(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 2_000 * KES)
    days_pass(fund, 30)
    assert the_loan(fund).status == LoanStatus.DEFAULTED
    with pytest.raises(errors.LoanOpen):
        withdraw(fund, borrower_id, 30 * KES, "w1")
    owed = the_loan(fund).outstanding_minor
    with fund.sessions.unit_of_work() as session:
        repayment = apply_held_savings(
            session, Ledger(session, fund.clock), the_loan(fund).id, "officer-1", fund.clock()
        )
    assert repayment is not None
    assert repayment.amount_minor == 30 * KES
    assert the_loan(fund).outstanding_minor == owed - 30 * KES
    borrower = the_borrower(fund, borrower_id)
    assert (borrower.savings_short_minor, borrower.savings_short_held_minor) == (0, 0)
    fund.assert_books_agree()


def test_a_credit_balance_can_be_refunded(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    loan = the_loan(fund)
    with fund.sessions.unit_of_work() as session:
        apply_repayment(
            session,
            Ledger(session, fund.clock),
            IncomingRepayment(
                loan.id,
                700 * KES,
                "mpesa:R9",
                RepaymentChannel.C2B,
                fund.clock(),
            ),
            fund.clock(),
        )
    with fund.sessions.unit_of_work() as session:
        payout = request_refund(
            session, Ledger(session, fund.clock), borrower_id, 200 * KES, "refund-1", fund.clock()
        )
    fund.settle(payout.id)
    assert the_borrower(fund, borrower_id).credit_balance_minor == 0
    fund.assert_books_agree()


def test_reminders_go_5_days_before_on_the_due_date_and_every_5_days_after(fund: Fund) -> None:
    assert reminder_days(14, 30) == [9, 14, 19, 24, 29]
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    for _ in range(30):
        days_pass(fund, 1)
    with fund.sessions.reader() as session:
        keys = session.scalars(select(SmsMessage.dedupe_key).order_by(SmsMessage.id)).all()
    loan_id = the_loan(fund).id
    assert [k for k in keys if k.startswith("reminder")] == [
        f"reminder:{loan_id}:day:{d}" for d in (9, 14, 19, 24, 29)
    ]
    assert f"default:{loan_id}" in keys
    assert send_pending(fund.sessions, fund.ports.sms, fund.ports.cipher, fund.clock) == len(keys)
    sent = fund.ports.sms.messages_to(GOOD_PHONE)  # type: ignore[attr-defined]
    assert len(sent) == len(keys)
    assert all("254712345678" not in m.text for m in sent)


def test_a_defaulted_loan_is_written_off_to_loan_losses(fund: Fund) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 1_000 * KES)
    with fund.sessions.unit_of_work() as session, pytest.raises(NotWriteOffable):
        write_off(
            session,
            Ledger(session, fund.clock),
            the_loan(fund).id,
            "too early",
            "admin-1",
            fund.clock(),
        )
    days_pass(fund, 40)
    owed = the_loan(fund).outstanding_minor
    with fund.sessions.unit_of_work() as session:
        write_off(
            session,
            Ledger(session, fund.clock),
            the_loan(fund).id,
            "unreachable",
            "admin-1",
            fund.clock(),
        )
    assert the_loan(fund).status == LoanStatus.WRITTEN_OFF
    with fund.sessions.reader() as session:
        ledger = Ledger(session, fund.clock)
        losses = ledger.account_by_code("5100").balance.posted_minor
    assert losses == owed
    assert the_borrower(fund, borrower_id).frozen_at is not None
    with pytest.raises(errors.SavingsHeld):  # the lien outlives the write-off
        withdraw(fund, borrower_id, 10 * KES, "w1")
    fund.assert_books_agree()
