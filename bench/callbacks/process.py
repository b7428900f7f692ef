"""The worker side of the callbacks benchmark: process the stored C2B confirmations, timed
(then profiled, ``bench.callbacks.profile``), and check what they became.

The timed figure calls the worker's own function, ``process_pending`` (what the
``mpesa.process_callbacks`` task runs), in a loop until it finds nothing left: one
transaction per callback, in arrival order. ``processors > 1`` runs that loop in several
processes at once, as overlapping tasks of a worker with concurrency > 1 would (each claims
its callbacks with ``FOR UPDATE SKIP LOCKED``), so this shows what such overlap is worth.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from app.clock import Clock, system_clock
from app.db.session import Sessions
from app.mpesa.processing import process_pending
from app.security.fields import BlindIndex, load_field_keys
from bench.common.databases import Scratch, app_sessions
from bench.common.measure import CpuMeter, Stopwatch, process_cpu_seconds, process_groups
from bench.common.seed import subledger_disagreements
from ledger import Ledger

CLOCK: Clock = system_clock
PROCESS_TIMEOUT_S = 3600.0
"""A processing run that takes longer than this is abandoned (processes are killed)."""


def blind_index_from(keys_path: Path) -> BlindIndex:
    """As ``app.bootstrap.build_ports`` builds it for the worker."""
    return BlindIndex(load_field_keys(keys_path).blind_index_key)


def drain(sessions: Sessions, blind_index: BlindIndex, clock: Clock = CLOCK) -> int:
    """``process_pending`` until it selects nothing; the ids it selected, summed."""
    selected = 0
    while True:
        found = process_pending(sessions, clock, blind_index)
        if not found:
            return selected
        selected += found


# -- timed processing ---------------------------------------------------------------------


@dataclass(frozen=True)
class DrainSpec:
    url: str
    keys_path: Path


def _drain_process(spec: DrainSpec, go: Any, out: Any) -> None:
    try:
        with app_sessions(spec.url, database_pool_size=2) as sessions:
            blind_index = blind_index_from(spec.keys_path)
            with sessions.reader() as session:  # connect before the clock starts
                session.connection()
            out.put(("ready", os.getpid(), None))
            go.wait()
            cpu = process_cpu_seconds()
            selected = drain(sessions, blind_index)
            out.put(("done", selected, process_cpu_seconds() - cpu))
    except BaseException:
        out.put(("crash", os.getpid(), traceback.format_exc()))


def _cpu(meter: CpuMeter, workers: set[int], backends: set[int]) -> dict[str, float | None]:
    use = meter.read({"worker": workers, "backends": backends})
    return process_groups(use, ("worker", "backends"), postgres=("backends",))


def timed_drain(
    scratch: Scratch, spec: DrainSpec, sessions: Sessions, processors: int
) -> dict[str, Any]:
    """Process everything stored; wall time and CPU by group of processes."""
    if processors == 1:
        blind_index = blind_index_from(spec.keys_path)
        with sessions.reader() as session:
            session.connection()
        meter = CpuMeter()
        watch = Stopwatch()
        selected = drain(sessions, blind_index)
        seconds = watch.seconds()
        cpu = _cpu(meter, {os.getpid()}, scratch.backend_pids())
        return {"seconds": round(seconds, 3), "selected": selected, "cpu": cpu}
    context = multiprocessing.get_context("spawn")
    go, out = context.Event(), context.Queue()
    workers = [
        context.Process(target=_drain_process, args=(spec, go, out), daemon=True)
        for _ in range(processors)
    ]
    for worker in workers:
        worker.start()
    try:
        pids = {_expect(out, "ready")[1] for _ in workers}
        backends = scratch.backend_pids()
        meter = CpuMeter()
        watch = Stopwatch()
        go.set()
        finished = [_expect(out, "done") for _ in workers]
        seconds = watch.seconds()
        cpu = _cpu(meter, pids, backends)
    finally:
        for worker in workers:
            worker.join(10)
            if worker.is_alive():
                worker.kill()
    return {
        "seconds": round(seconds, 3),
        "selected": sum(f[1] for f in finished),
        "cpu": cpu,
        "worker_cpu_s": [round(f[2], 2) for f in finished],
    }


def _expect(out: Any, kind: str) -> tuple[str, Any, Any]:
    message: tuple[str, Any, Any] = out.get(timeout=PROCESS_TIMEOUT_S)
    if message[0] == "crash":
        raise RuntimeError(f"a processing worker crashed:\n{message[2]}")
    if message[0] != kind:
        raise RuntimeError(f"expected {kind!r} from a processing worker, got {message!r}")
    return message


# -- checks ---------------------------------------------------------------------------------


def books(libpq_url: str, sessions: Sessions) -> dict[str, Any]:
    """What processing must have produced, read back from the database."""
    with psycopg.connect(libpq_url, autocommit=True) as conn:

        def one(sql: str) -> Any:
            row = conn.execute(sql).fetchone()
            return row[0] if row else None

        statuses: dict[str, int] = dict(
            conn.execute(
                "SELECT status, count(*) FROM mpesa_callbacks"
                " WHERE kind = 'c2b/confirmation' GROUP BY status"
            ).fetchall()
        )
        figures = {
            "callbacks_by_status": {str(k): int(v) for k, v in statuses.items()},
            "repayments": int(one("SELECT count(*) FROM repayments WHERE channel = 'c2b'")),
            "repaid_minor": int(
                one("SELECT coalesce(sum(amount_minor), 0) FROM repayments WHERE channel = 'c2b'")
            ),
            "overpaid_minor": int(
                one("SELECT coalesce(sum(overpayment_minor), 0) FROM repayments")
            ),
            "repayment_entries": int(
                one(
                    "SELECT count(*) FROM ledger_entries"
                    " WHERE idempotency_key LIKE 'repayment:mpesa:%'"
                )
            ),
            "receipt_sms": int(one("SELECT count(*) FROM sms_outbox")),
            "unmatched_receipts": int(one("SELECT count(*) FROM unmatched_receipts")),
            "loans_repaid": int(one("SELECT count(*) FROM loans WHERE status = 'repaid'")),
        }
    with sessions.reader() as session:
        figures["trial_balance_net"] = Ledger(session, CLOCK).trial_balance().net_by_currency
    figures["subledger_disagrees"] = subledger_disagreements(sessions, CLOCK)
    return figures


def failures_of(figures: dict[str, Any], stored: int, amount_minor: int) -> list[str]:
    """Every stored confirmation became exactly one posted, allocated repayment."""
    failures = []
    statuses = figures["callbacks_by_status"]
    processed = statuses.get("processed", 0)
    if processed != stored:
        failures.append(f"{processed} of {stored} stored confirmations processed")
    for status in ("received", "failed", "malformed"):
        if statuses.get(status):
            failures.append(f"{statuses[status]} confirmations left {status}")
    for key in ("repayments", "repayment_entries"):
        if figures[key] != stored:
            failures.append(f"{figures[key]} {key.replace('_', ' ')} for {stored} confirmations")
    if figures["repaid_minor"] != stored * amount_minor:
        failures.append(f"repayments total {figures['repaid_minor']}, not {stored * amount_minor}")
    if figures["unmatched_receipts"]:
        failures.append(f"{figures['unmatched_receipts']} payments went to suspense")
    if any(figures["trial_balance_net"].values()):
        failures.append(f"trial balance not zero: {figures['trial_balance_net']}")
    failures += [f"subledger: {d}" for d in figures["subledger_disagrees"]]
    return failures
