"""Ten members' payout callbacks arriving at the same instant, each twice, on PostgreSQL:
real threads, each with its own connection and transaction. Every leg settles exactly once,
the group loan becomes active once with the whole principal, and the books agree."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.groups.models import Group
from app.payments.payouts import record_payout_result, submit_payout
from integrations.payments.port import PayoutResult
from ledger import Ledger
from tests.support.groups import apply_for, approve_both_gates, form_group, group_loan
from tests.support.lending import KES, Fund

pytestmark = pytest.mark.postgres

AMOUNT = 30_000 * KES


def test_every_leg_s_callback_at_once_and_twice_settles_each_leg_once(pg_fund: Fund) -> None:
    group = form_group(pg_fund)
    approve_both_gates(pg_fund, applied := apply_for(pg_fund, group, AMOUNT))
    _, legs = group_loan(pg_fund, applied.id)
    for leg in legs:
        assert leg.payout_id is not None
        submit_payout(pg_fund.sessions, pg_fund.ports, pg_fund.clock, leg.payout_id)
    results = pg_fund.provider.deliver() * 2
    assert len(results) == 20
    start = threading.Barrier(len(results))

    def callback(result: PayoutResult) -> str:
        start.wait()
        with pg_fund.sessions.unit_of_work() as session:
            payout = record_payout_result(
                session, Ledger(session, pg_fund.clock), result, pg_fund.clock()
            )
            assert payout is not None
            return str(payout.status)

    with ThreadPoolExecutor(len(results)) as pool:
        outcomes = list(pool.map(callback, results))

    assert outcomes == ["succeeded"] * 20
    loan, legs = group_loan(pg_fund, applied.id)
    assert {leg.status for leg in legs} == {"settled"}
    assert loan.status == "active"
    assert loan.principal_outstanding_minor == AMOUNT
    assert loan.principal_pending_minor == 0
    with pg_fund.sessions.reader() as session:
        saved = session.get(Group, group.group_id)
        assert saved is not None
        assert saved.savings_minor == loan.savings_minor == 1_500 * KES
    pg_fund.assert_books_agree()
