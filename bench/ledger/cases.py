"""One case of the ledger benchmark: W writers (processes, or threads of this process) and
perhaps the sealer, started together, stopped after a fixed time; the measured window's
wall time, CPU by group of processes and ``pg_subtrans`` lookups."""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from app.db.session import Sessions
from bench.common.databases import Scratch, app_sessions
from bench.common.measure import CpuMeter, process_cpu_seconds
from bench.ledger.sealer import (
    SealerPlan,
    SealerResult,
    SealerSetup,
    count_sealed,
    count_unsealed,
    sealer_main,
)
from bench.ledger.workers import (
    EventLike,
    WorkerResult,
    WorkerSpec,
    process_main,
    run_worker,
    warm_up,
)

READY_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Bench:
    """The benchmark's database and the harness's own sessions on it."""

    scratch: Scratch
    sessions: Sessions


@dataclass
class CaseRun:
    results: list[WorkerResult]
    wall_seconds: float
    machine_busy: float | None
    client_cpu_seconds: float
    sealer: SealerResult | None = None
    unsealed_at_stop: int | None = None
    writers_done_at: float | None = None
    subtrans_lookups: int | None = None
    """Cluster-wide ``pg_subtrans`` SLRU page lookups during the case (see ``summarise``)."""
    cpu_by_group: dict[str, float] = field(default_factory=dict)
    """CPU seconds by group of processes (writers, sealer, the bench's PostgreSQL backends...)."""
    sealed_at_start: int = 0
    sealed_during: int | None = None
    """Entries sealed between the start of the case and the moment the writers stopped."""


def _collect(out: Any, wanted: set[str], count: int, timeout: float) -> list[tuple[str, Any]]:
    got: list[tuple[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"waited {timeout:.0f} s for {count - len(got)} worker messages")
        try:
            kind, who, payload = out.get(timeout=remaining)
        except queue.Empty:
            continue
        if kind == "crash":
            raise RuntimeError(f"worker {who} crashed:\n{payload}")
        if kind in wanted:
            got.append((kind, payload))
    return got


def _subtrans_lookups(sessions: Sessions) -> int:
    """Page lookups in PostgreSQL's ``pg_subtrans`` SLRU so far (cluster-wide counter).

    They climb steeply once a transaction has more than 64 subtransactions (SAVEPOINTs):
    its snapshot entry overflows and every concurrent visibility check of its rows must then
    look its subtransactions up in ``pg_subtrans``.
    """
    with sessions.unit_of_work() as session:
        found = session.execute(
            text("SELECT blks_hit + blks_read FROM pg_stat_slru WHERE name = 'Subtrans'")
        ).scalar_one_or_none()
    return int(found or 0)


class Window:
    """The measured interval of one case: wall time, machine CPU, pg_subtrans lookups."""

    def __init__(self, bench: Bench, writer_pids: set[int], sealer_pids: set[int]) -> None:
        self._sessions = bench.sessions
        self._groups = {
            "writers": writer_pids,
            "sealer": sealer_pids,
            "harness": {os.getpid()} - writer_pids,
            "bench_postgres": bench.scratch.backend_pids(),
        }
        self._slru = _subtrans_lookups(bench.sessions)
        self.sealed_at_start = count_sealed(bench.sessions)
        self._meter = CpuMeter()
        self.started = time.monotonic()

    def close(self, results: list[WorkerResult], client_cpu_seconds: float) -> CaseRun:
        ended = max(r.finished_at for r in results)
        use = self._meter.read(self._groups)
        run = CaseRun(results, ended - self.started, use.busy_share, client_cpu_seconds)
        run.cpu_by_group = use.spent
        run.subtrans_lookups = _subtrans_lookups(self._sessions) - self._slru
        run.sealed_at_start = self.sealed_at_start
        return run


def _await_sealer(run: CaseRun, main_sessions: Sessions, writers_done: EventLike, out: Any) -> None:
    """Count the queue the writers left, tell the sealer, wait until it has drained it."""
    run.unsealed_at_stop = count_unsealed(main_sessions)
    run.sealed_during = count_sealed(main_sessions) - run.sealed_at_start
    run.writers_done_at = time.monotonic()
    writers_done.set()
    run.sealer = _collect(out, {"sealer"}, 1, 600)[0][1]


def run_case_processes(
    specs: list[WorkerSpec], seconds: float, bench: Bench, sealer: SealerSetup | None
) -> CaseRun:
    ctx = multiprocessing.get_context("spawn")
    go, stop, give_up = ctx.Event(), ctx.Event(), ctx.Event()
    writers_done, release = ctx.Event(), ctx.Event()
    out: Any = ctx.Queue()
    procs = [
        ctx.Process(target=process_main, args=(s, go, stop, release, out), daemon=True)
        for s in specs
    ]
    if sealer is not None:
        plan = SealerPlan(go, writers_done, give_up, sealer.interval_s, sealer.max_blocks)
        procs.append(
            ctx.Process(target=sealer_main, args=(specs[0].url, sealer.pem, plan, out), daemon=True)
        )
    for p in procs:
        p.start()
    try:
        _collect(out, {"ready"}, len(procs), READY_TIMEOUT_S)
        pids = [p.pid for p in procs if p.pid is not None]
        window = Window(bench, set(pids[: len(specs)]), set(pids[len(specs) :]))
        go.set()
        time.sleep(seconds)
        stop.set()
        results = [r for _, r in _collect(out, {"result"}, len(specs), seconds + 120)]
        run = window.close(results, sum(r.cpu_seconds for r in results))
        release.set()
        if sealer is not None:
            _await_sealer(run, bench.sessions, writers_done, out)
        return run
    finally:
        stop.set()
        give_up.set()
        release.set()
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)


def run_case_threads(
    specs: list[WorkerSpec], seconds: float, bench: Bench, sealer: SealerSetup | None
) -> CaseRun:
    """Threads in this process, sharing one engine; the sealer still runs in a process."""
    with app_sessions(specs[0].url, database_pool_size=len(specs) + 1) as sessions:
        return _threads(specs, seconds, bench, sealer, sessions)


def _threads(
    specs: list[WorkerSpec],
    seconds: float,
    bench: Bench,
    sealer: SealerSetup | None,
    sessions: Sessions,
) -> CaseRun:
    """The threads' case, on ``sessions`` that they share."""
    for _ in range(len(specs)):
        warm_up(sessions)
    go, stop = threading.Event(), threading.Event()
    results: list[WorkerResult] = []
    crashes: list[str] = []

    def body(spec: WorkerSpec) -> None:
        try:
            results.append(run_worker(spec, sessions, go, stop, measure_cpu=False))
        except BaseException:
            crashes.append(traceback.format_exc())

    ctx = multiprocessing.get_context("spawn")
    sealer_go, writers_done, give_up = ctx.Event(), ctx.Event(), ctx.Event()
    out: Any = ctx.Queue()
    sealer_proc = None
    if sealer is not None:
        plan = SealerPlan(sealer_go, writers_done, give_up, sealer.interval_s, sealer.max_blocks)
        sealer_proc = ctx.Process(
            target=sealer_main, args=(specs[0].url, sealer.pem, plan, out), daemon=True
        )
        sealer_proc.start()
        _collect(out, {"ready"}, 1, READY_TIMEOUT_S)
    threads = [threading.Thread(target=body, args=(s,), daemon=True) for s in specs]
    for t in threads:
        t.start()
    try:
        sealer_pids = {sealer_proc.pid} if sealer_proc and sealer_proc.pid else set()
        window = Window(bench, {os.getpid()}, sealer_pids)
        own_cpu0 = process_cpu_seconds()
        go.set()
        sealer_go.set()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        if crashes:
            raise RuntimeError(f"a worker thread crashed:\n{crashes[0]}")
        run = window.close(results, process_cpu_seconds() - own_cpu0)
        if sealer_proc is not None:
            _await_sealer(run, bench.sessions, writers_done, out)
        return run
    finally:
        stop.set()
        give_up.set()
        if sealer_proc is not None:
            sealer_proc.join(timeout=30)
            if sealer_proc.is_alive():
                sealer_proc.terminate()
