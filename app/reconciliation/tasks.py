"""Worker tasks of reconciliation: a run asked for by the API, the nightly reconciliation,
resuming unfinished runs, the pending-B2C/STK sweep and the float check (all on beat but
``execute_run``). Tasks carry ids only; every body is idempotent."""

from __future__ import annotations

import structlog
from celery import shared_task

from app.reconciliation import jobs
from app.reconciliation.pending import resolve_pending
from app.reconciliation.runs import execute_run
from app.runtime import runtime
from integrations.mpesa.client import DarajaClient, DarajaRefused, DarajaUnavailable

log = structlog.get_logger("mkopo.reconciliation")


@shared_task(name="reconciliation.execute_run")  # type: ignore[untyped-decorator]
def execute_run_task(run_id: int) -> str:
    rt = runtime()
    return execute_run(rt.sessions, rt.clock, run_id, rt.ports.cipher, budget_s=jobs.RUN_BUDGET_S)


@shared_task(name="reconciliation.nightly")  # type: ignore[untyped-decorator]
def nightly_task() -> list[int]:
    rt = runtime()
    return jobs.nightly(rt.sessions, rt.clock, rt.ports.cipher).run_ids


@shared_task(name="reconciliation.resume_runs")  # type: ignore[untyped-decorator]
def resume_runs_task() -> int:
    rt = runtime()
    return jobs.resume_runs(rt.sessions, rt.clock, rt.ports.cipher)


@shared_task(name="reconciliation.resolve_pending")  # type: ignore[untyped-decorator]
def resolve_pending_task() -> dict[str, int]:
    rt = runtime()
    return vars(resolve_pending(rt.sessions, rt.ports, rt.clock))


@shared_task(name="reconciliation.float_check")  # type: ignore[untyped-decorator]
def float_check_task() -> int:
    """Ask M-Pesa for the balance (its answer arrives as a callback and is checked next
    time), then check every balance the inbox holds and has not been checked yet."""
    rt = runtime()
    payments = rt.ports.payments
    if isinstance(payments, DarajaClient):
        try:
            payments.account_balance()
        except (DarajaUnavailable, DarajaRefused) as exc:
            log.warning("balance_query_failed", error=type(exc).__name__)
    return jobs.float_check(rt.sessions, rt.clock)
