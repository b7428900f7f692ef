"""A scheduled sweep never stops at a bad row: when the provider chokes on one payout, STK
prompt or reversal (an exception, not an answer), or one reconciliation run fails, that row
is passed over, every other row due is moved forward in the same run, and the run ends in
``SweepIncomplete`` naming the bad row, so the task's heartbeat records the failure. Run
after run, the bad row keeps failing and the rest keep moving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from app.mpesa.models import CollectionReversal, StkRequest
from app.mpesa.reversals import approve_reversal, request_reversal, sweep_reversals
from app.mpesa.stk import QUERY_AFTER, request_stk_repayment, send_stk, sweep_stk
from app.payments.models import Payout, PayoutStatus
from app.payments.payouts import RESULT_GRACE, submit_payout, sweep_payouts
from app.reconciliation import jobs
from app.reconciliation.pending import STUCK_AFTER, resolve_pending
from app.tasks.sweeps import RowFailures, SweepIncomplete
from ledger import Ledger
from tests.integration.test_mpesa_processing import c2b, deliver
from tests.support.lending import KES, Fund
from tests.support.staff import staff

PEOPLE = [("31000011", "0722000137"), ("31000021", "0722000237"), ("31000031", "0722000337")]
"""Valid adults with old SIMs in the simulators (docs/simulators.md)."""


def poison(monkeypatch: pytest.MonkeyPatch, target: Any, method: str, bad: str) -> None:
    """``target.method`` raises for the argument (or the order's msisdn or receipt) ``bad``."""
    real: Callable[..., Any] = getattr(target, method)

    def choking(argument: Any) -> Any:
        if bad in (argument, getattr(argument, "msisdn", None), getattr(argument, "receipt", "")):
            raise RuntimeError("the provider's answer could not be parsed")
        return real(argument)

    monkeypatch.setattr(target, method, choking)


def borrowers(fund: Fund) -> list[int]:
    return [fund.register(national_id, phone) for national_id, phone in PEOPLE]


def sent_and_unheard(fund: Fund) -> list[Payout]:
    """A loan for each borrower, sent and paid; every result callback lost."""
    payouts = [fund.request(b, 500 * KES, f"k{b}") for b in borrowers(fund)]
    for payout in payouts:
        submit_payout(fund.sessions, fund.ports, fund.clock, payout.id)
    fund.provider.deliver(drop=True)
    return payouts


def payout_status(fund: Fund, payout_id: int) -> str:
    with fund.sessions.reader() as session:
        return str(session.scalar(select(Payout.status).where(Payout.id == payout_id)))


def test_a_payout_the_provider_chokes_on_is_passed_over_and_the_others_are_paid(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    payouts = [fund.request(b, 500 * KES, f"k{b}") for b in borrowers(fund)]
    poison(monkeypatch, fund.provider, "submit_payout", "254722000137")
    for _ in range(2):  # the bad one first in line every run: the others move regardless
        with pytest.raises(SweepIncomplete) as failed:
            sweep_payouts(fund.sessions, fund.ports, fund.clock)
        assert failed.value.row_ids == [payouts[0].id]
    assert [payout_status(fund, p.id) for p in payouts] == [
        PayoutStatus.PENDING,
        PayoutStatus.SUBMITTED,
        PayoutStatus.SUBMITTED,
    ]


def test_a_late_payout_whose_status_query_raises_is_passed_over(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    payouts = sent_and_unheard(fund)
    fund.clock.advance(seconds=RESULT_GRACE.total_seconds() + 1)
    poison(monkeypatch, fund.provider, "query_payout", payouts[1].originator_id)
    with pytest.raises(SweepIncomplete) as failed:
        sweep_payouts(fund.sessions, fund.ports, fund.clock)
    assert failed.value.row_ids == [payouts[1].id]
    assert [payout_status(fund, p.id) for p in payouts] == [
        PayoutStatus.SUCCEEDED,
        PayoutStatus.SUBMITTED,
        PayoutStatus.SUCCEEDED,
    ]
    fund.assert_books_agree()


def test_a_stuck_payout_whose_query_raises_does_not_hold_up_the_pending_check(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    payouts = sent_and_unheard(fund)
    fund.clock.advance(seconds=STUCK_AFTER.total_seconds() + 1)
    poison(monkeypatch, fund.provider, "query_payout", payouts[0].originator_id)
    with pytest.raises(SweepIncomplete) as failed:
        resolve_pending(fund.sessions, fund.ports, fund.clock)
    assert failed.value.row_ids == [payouts[0].id]
    assert [payout_status(fund, p.id) for p in payouts[1:]] == [PayoutStatus.SUCCEEDED] * 2


def test_an_stk_prompt_whose_query_raises_is_passed_over_and_the_others_are_applied(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = []
    for borrower_id in borrowers(fund):
        fund.borrow(borrower_id, 500 * KES, f"loan{borrower_id}")
        with fund.sessions.unit_of_work() as session:
            request = request_stk_repayment(
                session, borrower_id, 100 * KES, f"stk{borrower_id}", fund.clock()
            )
        send_stk(fund.sessions, fund.ports, fund.clock, request.id)  # its callback never comes
        with fund.sessions.reader() as session:
            requests.append(session.get(StkRequest, request.id))
    fund.clock.advance(seconds=QUERY_AFTER.total_seconds() + 1)
    bad = requests[2]
    assert bad is not None
    assert bad.checkout_id is not None
    poison(monkeypatch, fund.provider, "query_collection", bad.checkout_id)
    with pytest.raises(SweepIncomplete) as failed:
        sweep_stk(fund.sessions, fund.ports, fund.clock)
    assert failed.value.row_ids == [bad.id]
    with fund.sessions.reader() as session:
        statuses = [session.get(StkRequest, r.id).status for r in requests if r is not None]
    assert statuses == ["succeeded", "succeeded", "sent"]
    fund.assert_books_agree()


def test_a_reversal_the_provider_chokes_on_is_passed_over_and_the_others_are_sent(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    receipts = ["TC2B0000R1", "TC2B0000R2", "TC2B0000R3"]
    reversal_ids = []
    for receipt in receipts:  # paid to an account that does not exist: in suspense
        deliver(fund, "c2b/confirmation", c2b("NOBODY", "1250.00", receipt))
        fund.provider.reversible[receipt] = 1_250_00
        with fund.sessions.unit_of_work() as session:
            reversal = request_reversal(
                session, receipt, "Wrong paybill", staff("amina"), fund.clock()
            )
            approve_reversal(
                session, Ledger(session, fund.clock), reversal.id, staff("baraka"), fund.clock()
            )
            reversal_ids.append(reversal.id)
    poison(monkeypatch, fund.provider, "request_reversal", receipts[0])
    with pytest.raises(SweepIncomplete) as failed:
        sweep_reversals(fund.sessions, fund.ports, fund.clock)
    assert failed.value.row_ids == [reversal_ids[0]]
    with fund.sessions.reader() as session:
        statuses = [session.get(CollectionReversal, r).status for r in reversal_ids]
    assert statuses == ["approved", "submitted", "submitted"]


def test_an_unfinished_reconciliation_that_fails_does_not_stop_the_others_resuming(
    fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    resumed: list[int] = []

    def execute_run(_sessions: Any, _clock: Any, run_id: int, *_args: Any, **_kw: Any) -> str:
        if run_id == 1:
            raise RuntimeError("statement line the matcher cannot read")
        resumed.append(run_id)
        return "done"

    monkeypatch.setattr(jobs, "unfinished_runs", lambda _session: [1, 2, 3])
    monkeypatch.setattr(jobs, "execute_run", execute_run)
    with pytest.raises(SweepIncomplete) as failed:
        jobs.resume_runs(fund.sessions, fund.clock, None)
    assert (failed.value.row_ids, resumed) == ([1], [2, 3])


def test_the_end_of_the_run_s_time_budget_stops_a_sweep_instead_of_skipping_a_row() -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    failures = RowFailures("a.sweep")
    with pytest.raises(SoftTimeLimitExceeded), failures.row(7):
        raise SoftTimeLimitExceeded
    assert failures.row_ids == []
    failures.raise_if_any()  # nothing failed: nothing raised


def test_a_rescoring_run_that_passed_over_a_borrower_counts_as_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rescoring sweep defers a borrower whose scoring fails (app.scoring.schedule); its
    task then ends failed, so the heartbeat shows it, not only the log."""
    from types import SimpleNamespace

    from app.scoring import tasks
    from app.scoring.schedule import SweepResult

    runtime: Any = SimpleNamespace(sessions=None, ports=None, clock=None)
    monkeypatch.setattr(tasks, "rescore_due", lambda *_args: SweepResult(5, 1, failed=2))
    with pytest.raises(SweepIncomplete, match="2 row"):
        tasks.rescore_due_task(runtime)
    monkeypatch.setattr(tasks, "rescore_due", lambda *_args: SweepResult(5, 1))
    assert tasks.rescore_due_task(runtime) == {"scored": 5, "skipped": 1}
