"""A group loan paid out: one payout per member with a share, a failed leg retried by the
sweep then held, the loan active when no leg is paying, the books balanced (docs/groups.md,
"Paying out")."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.groups.disbursement import MAX_LEG_ATTEMPTS, RETRY_AFTER
from app.groups.loan_models import GroupPayoutLeg
from app.groups.models import Group
from app.payments.models import Payout
from app.payments.payouts import record_payout_result, submit_payout, sweep_payouts
from integrations.payments.memory import INSUFFICIENT_FUNDS, SUCCESS
from ledger import Ledger
from tests.support.groups import (
    apply_for,
    approve_both_gates,
    form_group,
    group_loan,
    msisdn_of,
)
from tests.support.lending import KES, Fund

AMOUNT = 30_000 * KES


def payouts_of(fund: Fund, borrower_id: int) -> list[Payout]:
    with fund.sessions.reader() as session:
        return list(
            session.scalars(
                select(Payout).where(Payout.borrower_id == borrower_id).order_by(Payout.id)
            ).all()
        )


def deliver(fund: Fund) -> None:
    for result in fund.provider.deliver():
        with fund.sessions.unit_of_work() as session:
            record_payout_result(session, Ledger(session, fund.clock), result, fund.clock())


def send_pending(fund: Fund, legs: list[GroupPayoutLeg]) -> None:
    for leg in legs:
        assert leg.payout_id is not None
        submit_payout(fund.sessions, fund.ports, fund.clock, leg.payout_id)
    deliver(fund)


def test_every_member_is_paid_their_share_and_a_failed_leg_is_retried_by_the_sweep(
    fund: Fund,
) -> None:
    group = form_group(fund)
    approve_both_gates(fund, applied := apply_for(fund, group, AMOUNT))
    loan, legs = group_loan(fund, applied.id)
    assert loan.status == "disbursing"
    assert loan.principal_pending_minor == AMOUNT
    assert len(legs) == 10
    assert sum(leg.principal_minor for leg in legs) == AMOUNT
    assert all(leg.cash_minor == 2_850 * KES and leg.savings_minor == 150 * KES for leg in legs)

    fund.provider.outcomes_by_msisdn[msisdn_of(4)] = INSUFFICIENT_FUNDS  # person 4's leg
    send_pending(fund, legs)
    loan, legs = group_loan(fund, applied.id)
    failing = next(leg for leg in legs if leg.borrower_id == group.members[4])
    assert failing.status == "paying"
    assert failing.attempts == 2
    assert [leg.status for leg in legs].count("settled") == 9
    assert loan.status == "disbursing"
    fund.assert_books_agree()

    fund.provider.outcomes_by_msisdn[msisdn_of(4)] = SUCCESS
    assert sweep_payouts(fund.sessions, fund.ports, fund.clock) == 0  # not due yet
    fund.clock.advance(seconds=RETRY_AFTER.total_seconds())
    assert sweep_payouts(fund.sessions, fund.ports, fund.clock) == 1
    deliver(fund)
    loan, legs = group_loan(fund, applied.id)
    assert {leg.status for leg in legs} == {"settled"}
    assert loan.status == "active"
    assert loan.principal_outstanding_minor == AMOUNT
    assert loan.principal_pending_minor == 0
    assert loan.savings_minor == 1_500 * KES
    keys = [p.idempotency_key for p in payouts_of(fund, group.members[4])]
    assert [p.status for p in payouts_of(fund, group.members[4])] == ["failed", "succeeded"]
    assert keys == [f"group-leg:{failing.id}:1", f"group-leg:{failing.id}:2"]
    with fund.sessions.reader() as session:
        assert session.get(Group, group.group_id).savings_minor == 1_500 * KES  # type: ignore[union-attr]
    for n in range(10):
        assert fund.provider.money_sent_to(msisdn_of(n)) == 2_850 * KES
    fund.assert_books_agree()


def test_a_leg_failing_every_attempt_is_held_and_the_loan_is_what_was_paid(fund: Fund) -> None:
    group = form_group(fund)
    approve_both_gates(fund, applied := apply_for(fund, group, AMOUNT))
    _, legs = group_loan(fund, applied.id)
    fund.provider.outcomes_by_msisdn[msisdn_of(7)] = INSUFFICIENT_FUNDS
    send_pending(fund, legs)
    for _ in range(MAX_LEG_ATTEMPTS - 1):
        fund.clock.advance(seconds=(RETRY_AFTER + timedelta(seconds=1)).total_seconds())
        sweep_payouts(fund.sessions, fund.ports, fund.clock)
        deliver(fund)
    loan, legs = group_loan(fund, applied.id)
    held = next(leg for leg in legs if leg.borrower_id == group.members[7])
    assert held.status == "held"
    assert held.attempts == MAX_LEG_ATTEMPTS
    assert loan.status == "active"
    assert loan.principal_outstanding_minor == AMOUNT - held.principal_minor
    assert fund.provider.money_sent_to(msisdn_of(7)) == 0
    assert len(payouts_of(fund, group.members[7])) == MAX_LEG_ATTEMPTS
    fund.assert_books_agree()


def test_a_callback_delivered_twice_settles_a_leg_once(fund: Fund) -> None:
    group = form_group(fund)
    approve_both_gates(fund, applied := apply_for(fund, group, AMOUNT))
    _, legs = group_loan(fund, applied.id)
    for leg in legs:
        assert leg.payout_id is not None
        submit_payout(fund.sessions, fund.ports, fund.clock, leg.payout_id)
    results = fund.provider.deliver()
    for result in results + results:
        with fund.sessions.unit_of_work() as session:
            record_payout_result(session, Ledger(session, fund.clock), result, fund.clock())
    loan, _ = group_loan(fund, applied.id)
    assert loan.status == "active"
    assert loan.principal_outstanding_minor == AMOUNT
    fund.assert_books_agree()
