"""A group loan owed on its schedule: written when the loan is active, paid by any member
(the use case and the paybill with the loan's MG account number), allocated oldest first,
every payment in the contribution ledger, repaid when every instalment is paid, the books
balanced (docs/groups.md, "Repaying")."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.clock import EAT
from app.errors import DomainError
from app.groups.account_numbers import group_account_number, group_loan_id_from
from app.groups.accrual import accrue_group_loans
from app.groups.loan_models import GroupContribution, GroupLoan
from app.groups.repayments import GroupPayment, contributions_by_member, repay, schedule_of
from app.mpesa.models import UnmatchedReceipt
from app.mpesa.validation import payable_account
from ledger import Ledger
from tests.integration.test_mpesa_processing import c2b, deliver
from tests.support.groups import (
    FormedGroup,
    application,
    apply_for,
    approve_both_gates,
    form_group,
    group_loan,
    msisdn_of,
    register_people,
)
from tests.support.lending import KES, Fund

AMOUNT = 30_000 * KES


def paid_out(fund: Fund) -> tuple[FormedGroup, GroupLoan]:
    group = form_group(fund)
    approve_both_gates(fund, applied := apply_for(fund, group, AMOUNT))
    fund.settle_all()
    loan, _ = group_loan(fund, applied.id)
    assert loan.status == "active"
    return group, loan


def pay(fund: Fund, loan_id: int, member: int, amount: int, key: str) -> GroupContribution:
    with fund.sessions.unit_of_work() as session:
        payment = GroupPayment(loan_id, member, amount, key, "stk", fund.clock())
        return repay(session, Ledger(session, fund.clock), payment, fund.clock())


def move_to(fund: Fund, day: date) -> None:
    target = datetime.combine(day, time(12), EAT)
    fund.clock.advance(seconds=(target - fund.clock()).total_seconds())


def test_the_schedule_is_the_application_s_and_six_members_repay_it_in_turn(fund: Fund) -> None:
    group, loan = paid_out(fund)
    assert loan.account_number == group_account_number(loan.id)
    assert group_loan_id_from(loan.account_number or "") == loan.id
    with fund.sessions.reader() as session:
        rows = schedule_of(session, loan.id)
    assert len(rows) == 6
    assert sum(row.principal_minor for row in rows) == AMOUNT
    assert rows[0].due_on > loan.disbursed_on  # type: ignore[operator]

    payers = group.members[3:9]
    for row, payer in zip(rows, payers, strict=True):
        move_to(fund, row.due_on)
        paid = pay(fund, loan.id, payer, row.principal_minor + row.interest_minor, f"i{row.number}")
        assert paid.interest_minor == row.interest_minor
        assert paid.principal_minor == row.principal_minor
        fund.assert_books_agree()

    with fund.sessions.reader() as session:
        done = session.get(GroupLoan, loan.id)
        assert done is not None
        assert done.status == "repaid"
        assert done.principal_outstanding_minor == 0
        assert done.interest_outstanding_minor == 0
        by_member = contributions_by_member(session, loan.id)
    assert set(by_member) == set(payers)
    assert sum(by_member.values()) == sum(r.principal_minor + r.interest_minor for r in rows)
    assert application(fund, loan.application_id).status == "loan_closed"
    assert apply_for(fund, group, AMOUNT).status == "pending_approval"  # the group may again


def test_a_payment_pays_the_oldest_due_first_and_an_overpayment_is_the_payer_s_credit(
    fund: Fund,
) -> None:
    group, loan = paid_out(fund)
    with fund.sessions.reader() as session:
        rows = schedule_of(session, loan.id)
    move_to(fund, rows[1].due_on)  # two instalments due, nothing paid
    first = rows[0].principal_minor + rows[0].interest_minor
    paid = pay(fund, loan.id, group.members[5], first + 100 * KES, "two-due")
    # instalment 1 in full, then the 100 to instalment 2's interest (interest before principal)
    assert paid.interest_minor == rows[0].interest_minor + 100 * KES
    assert paid.principal_minor == rows[0].principal_minor
    with fund.sessions.reader() as session:
        after = schedule_of(session, loan.id)
    assert after[0].status == "paid"
    assert after[1].status == "open"
    assert after[1].paid_interest_minor == 100 * KES

    everything = (
        sum(
            r.principal_minor
            - r.paid_principal_minor
            + r.interest_recognised_minor
            - r.paid_interest_minor
            for r in after
        )
        + 5 * KES
    )
    rest = pay(fund, loan.id, group.members[6], everything, "all")
    assert rest.overpayment_minor == 5 * KES
    assert fund.borrower(group.members[6]).credit_balance_minor == 5 * KES
    assert pay(fund, loan.id, group.members[6], everything, "all").id == rest.id  # replayed
    fund.assert_books_agree()


def test_only_members_pay_and_only_an_active_loan(fund: Fund) -> None:
    group, loan = paid_out(fund)
    stranger = register_people(fund, 1, start=40)[0]
    with pytest.raises(DomainError) as refused:
        pay(fund, loan.id, stranger, 100 * KES, "stranger")
    assert refused.value.code == "not_a_member"
    with pytest.raises(DomainError) as nothing:
        pay(fund, loan.id, group.members[1], 0, "zero")
    assert nothing.value.code == "invalid_group_payment"
    with pytest.raises(DomainError) as second:
        apply_for(fund, group, AMOUNT)  # one loan at a time: its application is still open
    assert second.value.code == "open_application_blocks"


def test_a_paybill_payment_to_the_group_account_by_a_member_repays_once(fund: Fund) -> None:
    group, loan = paid_out(fund)
    assert loan.account_number is not None
    with fund.sessions.reader() as session:
        assert payable_account(session, fund.ports.blind_index, loan.account_number)
        assert not payable_account(session, fund.ports.blind_index, "MG99999990")
    body = c2b(loan.account_number, "1000.00", "TG00000001") | {"MSISDN": msisdn_of(4)}
    deliver(fund, "c2b/confirmation", body, times=2)
    masked = c2b(loan.account_number, "500.00", "TG00000002")  # Daraja's masked number
    deliver(fund, "c2b/confirmation", masked)
    with fund.sessions.reader() as session:
        paid = session.scalars(
            select(GroupContribution).where(GroupContribution.group_loan_id == loan.id)
        ).all()
        suspended = session.scalar(
            select(UnmatchedReceipt).where(UnmatchedReceipt.receipt == "TG00000002")
        )
    assert [(c.borrower_id, c.amount_minor, c.channel) for c in paid] == [
        (group.members[4], 1_000 * KES, "c2b")
    ]
    assert suspended is not None  # an unidentified payer: an officer assigns it
    fund.assert_books_agree()


def test_the_nightly_run_recognises_due_interest_and_charges_penalty_on_a_late_instalment(
    fund: Fund,
) -> None:
    group, loan = paid_out(fund)
    with fund.sessions.reader() as session:
        rows = schedule_of(session, loan.id)
    late = rows[0].due_on + timedelta(days=10)
    move_to(fund, late)
    assert accrue_group_loans(fund.sessions, fund.clock, late) == 1
    assert accrue_group_loans(fund.sessions, fund.clock, late) == 1  # a rerun adds nothing
    with fund.sessions.reader() as session:
        charged = session.get(GroupLoan, loan.id)
        first = schedule_of(session, loan.id)[0]
    assert charged is not None
    assert first.interest_recognised_minor == first.interest_minor
    assert charged.interest_outstanding_minor == first.interest_minor
    # 10 days at 7% a year on the instalment's principal and interest, in whole cents
    base = first.principal_minor + first.interest_minor
    assert first.penalty_minor == base * 700 * 10 // (10_000 * 365)
    assert charged.penalty_outstanding_minor == first.penalty_minor > 0
    fund.assert_books_agree()

    owed = base + first.penalty_minor
    paid = pay(fund, loan.id, group.members[9], owed, "late")
    assert paid.penalty_minor == first.penalty_minor
    assert paid.interest_minor == first.interest_minor
    assert paid.principal_minor == first.principal_minor
    with fund.sessions.reader() as session:
        assert schedule_of(session, loan.id)[0].status == "paid"
    fund.assert_books_agree()


def test_arrears_freeze_every_member_s_new_borrowing_until_the_group_catches_up(
    fund: Fund,
) -> None:
    group, loan = paid_out(fund)
    with fund.sessions.reader() as session:
        first = schedule_of(session, loan.id)[0]
    move_to(fund, first.due_on)
    accrue_group_loans(fund.sessions, fund.clock, first.due_on)  # due today: not yet late
    assert fund.borrower(group.members[2]).group_arrears_since is None
    day_after = first.due_on + timedelta(days=1)
    move_to(fund, day_after)
    accrue_group_loans(fund.sessions, fund.clock, day_after)
    for member in group.members:
        assert fund.borrower(member).group_arrears_since == first.due_on
    with pytest.raises(DomainError) as frozen:
        fund.request(group.members[2], 1_000 * KES, "frozen-loan")
    assert frozen.value.code == "group_arrears"

    with fund.sessions.reader() as session:
        owed = schedule_of(session, loan.id)[0]
    pay(
        fund,
        loan.id,
        group.members[3],
        owed.principal_minor + owed.interest_minor + owed.penalty_minor,
        "cure",
    )
    for member in group.members:
        assert fund.borrower(member).group_arrears_since is None
    assert fund.request(group.members[2], 1_000 * KES, "after-cure").status == "pending"
    fund.assert_books_agree()


def test_ninety_days_in_arrears_the_group_loan_defaults_and_is_still_repaid(fund: Fund) -> None:
    group, loan = paid_out(fund)
    with fund.sessions.reader() as session:
        first = schedule_of(session, loan.id)[0]
    for days, status in ((89, "active"), (90, "defaulted")):
        day = first.due_on + timedelta(days=days)
        move_to(fund, day)
        accrue_group_loans(fund.sessions, fund.clock, day)
        with fund.sessions.reader() as session:
            found = session.get(GroupLoan, loan.id)
            assert found is not None
            assert found.status == status
    assert found.defaulted_on == first.due_on + timedelta(days=90)
    assert fund.borrower(group.members[0]).group_arrears_since == first.due_on
    fund.assert_books_agree()

    with fund.sessions.reader() as session:
        rows = schedule_of(session, loan.id)
    whole = sum(
        r.principal_minor
        + r.interest_recognised_minor
        + r.penalty_minor
        - r.paid_principal_minor
        - r.paid_interest_minor
        - r.paid_penalty_minor
        for r in rows
    )
    paid = pay(fund, loan.id, group.members[1], whole, "recovery")
    assert paid.overpayment_minor == 0
    with fund.sessions.reader() as session:
        ended = session.get(GroupLoan, loan.id)
        assert ended is not None
        assert ended.status == "repaid"
    assert fund.borrower(group.members[0]).group_arrears_since is None
    fund.assert_books_agree()
