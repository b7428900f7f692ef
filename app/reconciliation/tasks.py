"""Worker tasks of reconciliation: a run asked for by the API, the nightly reconciliation,
resuming unfinished runs, the pending-B2C/STK sweep and the float check (all on beat but
``execute_run``). Tasks carry ids only; every body is idempotent."""

from __future__ import annotations

import structlog

from app.reconciliation import jobs
from app.reconciliation.pending import resolve_pending
from app.reconciliation.runs import RunPace, execute_run
from app.runtime import Runtime
from app.tasks import refs
from app.tasks.registry import task
from integrations.mpesa.client import DarajaClient, DarajaRefused, DarajaUnavailable

log = structlog.get_logger("mkopo.reconciliation")


@task(refs.EXECUTE_RUN)
def execute_run_task(rt: Runtime, run_id: int) -> str:
    return execute_run(
        rt.sessions, rt.clock, run_id, rt.ports.cipher, RunPace(budget_s=jobs.RUN_BUDGET_S)
    )


@task(refs.RECONCILE_NIGHTLY)
def nightly_task(rt: Runtime) -> list[int]:
    return jobs.nightly(rt.sessions, rt.clock, rt.ports.cipher).run_ids


@task(refs.RESUME_RUNS)
def resume_runs_task(rt: Runtime) -> int:
    return jobs.resume_runs(rt.sessions, rt.clock, rt.ports.cipher)


@task(refs.RESOLVE_PENDING)
def resolve_pending_task(rt: Runtime) -> dict[str, int]:
    return vars(resolve_pending(rt.sessions, rt.ports, rt.clock))


@task(refs.FLOAT_CHECK)
def float_check_task(rt: Runtime) -> int:
    """Ask M-Pesa for the balance (its answer arrives as a callback and is checked next
    time), then check every balance the inbox holds and has not been checked yet."""
    payments = rt.ports.payments
    if isinstance(payments, DarajaClient):
        try:
            payments.account_balance()
        except (DarajaUnavailable, DarajaRefused) as exc:
            log.warning("balance_query_failed", error=type(exc).__name__)
    return jobs.float_check(rt.sessions, rt.clock)
