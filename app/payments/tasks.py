"""Worker tasks of payouts: send one now (enqueued after the request commits), and the
sweep that resubmits stale pending payouts and queries late results."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from app.payments.payouts import submit_payout, sweep_payouts
from app.runtime import runtime


@shared_task(name="payments.submit_payout")  # type: ignore[untyped-decorator]
def submit_payout_task(payout_id: int) -> str:
    rt = runtime()
    grace = timedelta(seconds=rt.settings.payout_result_grace_s)
    return submit_payout(rt.sessions, rt.ports, rt.clock, payout_id, grace)


@shared_task(name="payments.sweep_payouts")  # type: ignore[untyped-decorator]
def sweep_payouts_task() -> int:
    rt = runtime()
    grace = timedelta(seconds=rt.settings.payout_result_grace_s)
    return sweep_payouts(rt.sessions, rt.ports, rt.clock, grace)
