"""The worker side of the callbacks benchmark: process the stored C2B confirmations, timed,
profiled, and checked.

The timed figure calls the worker's own function, ``process_pending`` (what the
``mpesa.process_callbacks`` task runs), in a loop until it finds nothing left: one
transaction per callback, in arrival order. ``processors > 1`` runs that loop in several
processes at once, as overlapping tasks of a worker with concurrency > 1 would; they all
select the same oldest ``received`` rows, so this shows what such overlap is worth today.
"""

from __future__ import annotations

import cProfile
import json
import multiprocessing
import os
import pstats
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from app.accounting.subledger_check import check_subledger
from app.clock import Clock, system_clock
from app.db.engine import make_database
from app.db.session import Sessions
from app.mpesa.inbox import store_callback
from app.mpesa.processing import process_pending
from app.security.fields import BlindIndex, load_field_keys
from app.settings import Settings
from bench import common
from bench.accrual_bench import backend_pids
from bench.callbacks_cpu import CpuMeter
from ledger import Ledger

CLOCK: Clock = system_clock
PROCESS_TIMEOUT_S = 3600.0
"""A processing run that takes longer than this is abandoned (processes are killed)."""
STORE_BATCH = 500
"""Callbacks stored per transaction when filling the inbox for the profile."""
PROFILE_TOP = 20
PROFILE_BUCKETS: tuple[tuple[str, str, str], ...] = (
    (
        "process_callback (one callback: its transaction's work)",
        "processing.py",
        "process_callback",
    ),
    ("- parse_c2b (Daraja body to C2BPayment)", "callbacks.py", "parse_c2b"),
    ("- apply_repayment (allocate, post, loan, borrower, SMS)", "repayments.py", "apply_repayment"),
    ("-- fund_accounts (the chart's ids: one SELECT per account)", "chart.py", "fund_accounts"),
    ("-- Ledger.post (checks, one ledger_write call)", "ledger/service.py", "post"),
    ("-- queue_sms (the receipt SMS into the outbox)", "outbox.py", "queue_sms"),
    ("Session.get (callback, loan, borrower: FOR UPDATE)", "orm/session.py", "get"),
    ("Session.flush (autoflush before queries, and at commit)", "orm/session.py", "flush"),
    ("Session.commit", "orm/session.py", "commit"),
    ("pool checkout (with pre-ping)", "pool/base.py", "_checkout"),
    ("psycopg Connection.wait (waiting for PostgreSQL's answers)", "psycopg/connection.py", "wait"),
    ("SQL compilation (cache lookups and misses)", "sql/elements.py", "_compile_w_cache"),
)
"""(label, file suffix, function): cumulative time of these functions in the profile."""


def blind_index_from(keys_path: Path) -> BlindIndex:
    """As ``app.wiring.build_ports`` builds it for the worker."""
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
        sessions = Sessions(make_database(Settings(database_url=spec.url, database_pool_size=2)))
        blind_index = blind_index_from(spec.keys_path)
        with sessions.reader() as session:  # connect before the clock starts
            session.connection()
        out.put(("ready", os.getpid(), None))
        go.wait()
        cpu = common.process_cpu_seconds()
        selected = drain(sessions, blind_index)
        out.put(("done", selected, common.process_cpu_seconds() - cpu))
        sessions.database.dispose()
    except BaseException:
        out.put(("crash", os.getpid(), traceback.format_exc()))


def timed_drain(
    admin: str, database_name: str, spec: DrainSpec, sessions: Sessions, processors: int
) -> dict[str, Any]:
    """Process everything stored; wall time and CPU by group of processes."""
    if processors == 1:
        blind_index = blind_index_from(spec.keys_path)
        with sessions.reader() as session:
            session.connection()
        meter = CpuMeter()
        watch = common.Stopwatch()
        selected = drain(sessions, blind_index)
        seconds = watch.seconds()
        cpu = meter.result(
            {"worker": {os.getpid()}, "backends": backend_pids(admin, database_name)}
        )
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
        backends = backend_pids(admin, database_name)
        meter = CpuMeter()
        watch = common.Stopwatch()
        go.set()
        finished = [_expect(out, "done") for _ in workers]
        seconds = watch.seconds()
        cpu = meter.result({"worker": pids, "backends": backends})
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


# -- the profile ----------------------------------------------------------------------------


def store_confirmations(
    sessions: Sessions, bodies: list[dict[str, str]], now: Callable[[], datetime] = CLOCK
) -> None:
    """Put C2B confirmations in the inbox as the API does (``store_callback``), in batches."""
    for start in range(0, len(bodies), STORE_BATCH):
        with sessions.unit_of_work() as session:
            for body in bodies[start : start + STORE_BATCH]:
                raw = json.dumps(body, separators=(",", ":")).encode()
                store_callback(session, "c2b/confirmation", raw, "127.0.0.1", now())


def profiled_drain(sessions: Sessions, keys_path: Path, path: Path) -> dict[str, Any]:
    """``drain`` under cProfile; the top functions and the buckets of PROFILE_BUCKETS."""
    blind_index = blind_index_from(keys_path)
    profiler = cProfile.Profile()
    watch = common.Stopwatch()
    profiler.enable()
    selected = drain(sessions, blind_index)
    profiler.disable()
    seconds = watch.seconds()
    profiler.dump_stats(path)
    stats = pstats.Stats(str(path))
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values())

    def where(key: tuple[str, int, str]) -> str:
        file, line, function = key
        parts = Path(file).parts
        short = "/".join(parts[-3:]) if len(parts) > 2 else file
        return f"{short}:{line}({function})"

    top = sorted(raw.items(), key=lambda item: item[1][2], reverse=True)[:PROFILE_TOP]
    buckets = []
    for label, file_suffix, function in PROFILE_BUCKETS:
        cumulative = sum(
            ct
            for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in raw.items()
            if name == function and file.endswith(file_suffix)
        )
        calls = sum(
            nc
            for (file, _line, name), (_cc, nc, _tt, _ct, _callers) in raw.items()
            if name == function and file.endswith(file_suffix)
        )
        buckets.append(
            {
                "what": label,
                "calls": calls,
                "cumulative_s": round(cumulative, 3),
                "share_pct": round(cumulative / total * 100, 1) if total else None,
            }
        )
    return {
        "callbacks": selected,
        "seconds_profiled": round(seconds, 3),
        "profiled_per_s": round(selected / seconds, 1) if seconds else None,
        "profile_total_s": round(total, 3),
        "buckets": buckets,
        "top_by_own_time": [
            {
                "function": where(key),
                "calls": nc,
                "own_s": round(tt, 3),
                "cumulative_s": round(ct, 3),
            }
            for key, (_cc, nc, tt, ct, _callers) in top
        ],
    }


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
        ledger = Ledger(session, CLOCK)
        figures["trial_balance_net"] = ledger.trial_balance().net_by_currency
        figures["subledger_disagrees"] = [
            f"{c.account.value}: loans {c.subledger_minor} != ledger {c.ledger_minor}"
            for c in check_subledger(session, ledger)
            if not c.agrees
        ]
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
