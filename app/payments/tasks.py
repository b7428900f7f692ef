"""Worker tasks of payouts: send one now (enqueued after the request commits), and the
sweep that resubmits stale pending payouts and queries late results."""

from __future__ import annotations

from datetime import timedelta

from app.payments.payouts import submit_payout, sweep_payouts
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task


@task(refs.SUBMIT_PAYOUT)
def submit_payout_task(rt: Runtime, payout_id: int) -> str:
    grace = timedelta(seconds=rt.settings.payout_result_grace_s)
    return submit_payout(rt.sessions, rt.ports, rt.clock, payout_id, grace)


@task(refs.SWEEP_PAYOUTS)
def sweep_payouts_task(rt: Runtime) -> int:
    grace = timedelta(seconds=rt.settings.payout_result_grace_s)
    return sweep_payouts(rt.sessions, rt.ports, rt.clock, grace)
