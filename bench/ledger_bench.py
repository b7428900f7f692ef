"""Ledger write throughput on PostgreSQL, as ratios of a pgbench baseline from the same run.

Run: ``.venv/bin/python -m bench.ledger_bench [--seconds 20] [--workers 8]``

One run does, on the PostgreSQL server at ``MKOPO_BENCH_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``, a database there is used only to create and
drop scratch databases):

1. the baseline: ``pgbench -i -s 10`` then ``pgbench -c W -j 2 -T 30`` on a scratch database;
2. a fresh database migrated by Alembic, with 10,000 accounts (half assets, half
   liabilities, no balance constraint) and one hot asset account, then these cases, each for
   a fixed time with W concurrent workers (processes by default; ``--mode threads`` for
   threads), every transaction a ``Sessions.unit_of_work`` of its own:

   - ``uniform+sealer``: one two-posting entry per transaction on two random accounts, while
     the sealer (``Ledger.seal_next_block`` in a loop, in its own process) seals behind them;
     then the queue left unsealed when the writers stop, and how long the sealer takes to
     drain it;
   - ``uniform``: the same without the sealer (the headline ``uniform_tps``);
   - ``hot``: the same, but 30% of the entries have the hot account as one side;
   - ``batched``: 100 entries per transaction through ``Ledger.post_many``, over random
     accounts (``--batched-accounts random``, the default): a batch moves each account once
     and takes its locks in the global order, so concurrent batches cannot deadlock.

3. the sealer alone on the backlog the other cases left, then ``verify``; consistency checks
   (entries in the database = entries the workers counted, debits = credits);
4. peak RSS, CPU per entry by group of processes (writers, sealer, the benchmark's PostgreSQL
   backends, PostgreSQL's background processes, anything else on the machine, which flags a
   disturbed run), then ``bench/results/ledger.json`` and the ``ledger`` section of
   ``docs/performance.md`` (``--docs-only`` rewrites it from the JSON).

Every exception in a worker is counted and reported; a failed transaction's entries are not
counted. Timings are figures to read, never pass/fail; the exit status is 1 only when the
run itself is unsound (errors, counts that disagree, a seal chain that does not verify).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, insert, select, text

from app.books.tasks import MAX_BLOCKS_PER_RUN
from app.db.engine import make_database
from app.db.session import Sessions
from app.settings import Settings
from bench import common
from ledger import AccountSpec, AccountType, EntryRequest, Ledger, PostingLine
from ledger.accounts import validate_spec
from ledger.schema import Account, JournalEntry, SealMember, UnsealedEntry
from ledger.signing import generate_private_pem, load_private_key

AIMS = {"uniform": 0.5, "hot": 0.3, "batched": 5.0}
"""Aimed entries/s as a multiple of pgbench's TPS on the same machine."""
PGBENCH_SCALE = 10
ERROR_SAMPLES = 5
DOC_WIDTH = 100
QUIET_SHARE = 0.05
"""Above this share of CPU taken by other processes, a run is flagged as disturbed."""
READY_TIMEOUT_S = 120.0
SEAL_INTERVAL_S = float(Settings.model_fields["ledger_seal_interval_s"].default)
"""The worker's default: its beat runs the sealing task this often."""


def log(message: str) -> None:
    print(f"[ledger-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def now_utc() -> datetime:
    return datetime.now(UTC)


# -- 1. the pgbench baseline ----------------------------------------------------------------


def _pgbench(args: list[str]) -> subprocess.CompletedProcess[str]:
    command = ["pgbench", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603


def run_pgbench(admin: str, clients: int, seconds: int) -> dict[str, Any]:
    name = common.scratch_name("mkopo_bench_pgbench")
    conn = common.libpq_args(admin)
    common.create_database(admin, name)
    try:
        log(f"pgbench: initialising scale {PGBENCH_SCALE} in {name}")
        watch = common.Stopwatch()
        _pgbench(["-i", "-s", str(PGBENCH_SCALE), "-q", *conn, name])
        init_s = watch.seconds()
        log(f"pgbench: running -c {clients} -j 2 -T {seconds}")
        procs0, cpu0 = common.process_cpu_table(), common.CpuSample.take()
        children0, watch = common.children_cpu_seconds(), common.Stopwatch()
        done = _pgbench(["-c", str(clients), "-j", "2", "-T", str(seconds), *conn, name])
        wall = watch.seconds()
        busy = common.CpuSample.take().busy_share_since(cpu0)
        client_cpu = common.children_cpu_seconds() - children0
        # pgbench and its backends have exited by now: what is left alive is not ours
        spent = common.attribute_cpu(procs0, common.process_cpu_table(), {"self": {os.getpid()}})
    finally:
        common.drop_database(admin, name)
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if found is None:
        raise RuntimeError(f"could not find the TPS in pgbench's output:\n{done.stdout}")
    latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    processed = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    transactions = int(processed.group(1)) if processed else 0
    cores = os.cpu_count() or 1
    return {
        "tps": float(found.group(1)),
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "failed_transactions": int(failed.group(1)) if failed else None,
        "clients": clients,
        "threads": 2,
        "seconds": seconds,
        "scale": PGBENCH_SCALE,
        "init_seconds": round(init_s, 1),
        "transactions": transactions,
        "machine_cpu_busy_pct": common.rounded(None if busy is None else busy * 100, 1),
        "client_cpu_ms_per_txn": (
            round(client_cpu / transactions * 1000, 3) if transactions else None
        ),
        "machine_cpu_ms_per_txn": (
            round(busy * cores * wall / transactions * 1000, 3)
            if transactions and busy is not None
            else None
        ),
        "foreign_cpu_ms_per_txn": (
            round(spent["other_processes"] / transactions * 1000, 3) if transactions else None
        ),
        "foreign_cpu_share": (
            round(spent["other_processes"] / (busy * cores * wall), 3) if busy else None
        ),
        "command": f"pgbench -i -s {PGBENCH_SCALE}; pgbench -c {clients} -j 2 -T {seconds}",
    }


# -- 2. the ledger database -----------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    first_id: int
    last_id: int
    hot_id: int


def open_accounts(sessions: Sessions, count: int) -> Chart:
    """``count`` ordinary accounts in one bulk insert, plus one hot account via the API.

    The bulk rows are the ones ``Ledger.open_account`` writes (same columns, same zeros),
    from specs that pass the same validation; only the per-account SAVEPOINT is skipped.
    """
    now = now_utc()
    rows = []
    for i in range(count):
        spec = AccountSpec(
            code=f"bench.{i:06d}",
            name=f"Bench account {i}",
            type=AccountType.ASSET if i % 2 == 0 else AccountType.LIABILITY,
        )
        validate_spec(spec)
        rows.append(
            {
                "code": spec.code,
                "name": spec.name,
                "type": spec.type.value,
                "currency": spec.currency,
                "owner_ref": spec.owner_ref,
                "debits_must_not_exceed_credits": spec.debits_must_not_exceed_credits,
                "credits_must_not_exceed_debits": spec.credits_must_not_exceed_debits,
                "hot": spec.hot,
                "debits_posted": 0,
                "credits_posted": 0,
                "debits_pending": 0,
                "credits_pending": 0,
                "created_at": now,
            }
        )
    with sessions.unit_of_work() as session:
        session.execute(insert(Account), rows)
        hot = Ledger(session, now_utc).open_account(
            AccountSpec("bench.hot", "Bench hot account (float)", AccountType.ASSET, hot=True)
        )
    with sessions.unit_of_work() as session:
        first, last = session.execute(
            select(func.min(Account.id), func.max(Account.id)).where(Account.hot.is_(False))
        ).one()
        session.execute(text("ANALYZE"))
    assert last - first + 1 == count, "bulk-inserted account ids are not contiguous"
    return Chart(first, last, hot.id)


# -- workers --------------------------------------------------------------------------------


class EventLike(Protocol):
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...
    def set(self) -> None: ...


@dataclass(frozen=True)
class WorkerSpec:
    url: str
    case: str
    worker: int
    workers: int
    run_id: str
    chart: Chart
    hot_share: float
    batch: int
    batched_accounts: str
    seed: str
    label: str


@dataclass
class WorkerResult:
    worker: int
    entries: int = 0
    transactions: int = 0
    txn_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0
    finished_at: float = 0.0
    """``time.monotonic()`` when the worker's last transaction ended (system-wide clock)."""
    peak_rss_mb: float = 0.0


def _account_picker(spec: WorkerSpec, rng: random.Random) -> Callable[[], tuple[int, int]]:
    first, last = spec.chart.first_id, spec.chart.last_id
    if spec.case == "batched" and spec.batched_accounts == "sharded":
        size = (last - first + 1) // spec.workers
        first = first + spec.worker * size
        last = first + size - 1

    def pick() -> tuple[int, int]:
        a = rng.randint(first, last)
        b = rng.randint(first, last - 1)
        return a, b + 1 if b >= a else b

    if spec.case != "hot":
        return pick

    def pick_hot() -> tuple[int, int]:
        a, b = pick()
        if rng.random() < spec.hot_share:
            return (spec.chart.hot_id, b) if rng.random() < 0.5 else (a, spec.chart.hot_id)
        return a, b

    return pick_hot


def run_worker(
    spec: WorkerSpec, sessions: Sessions, go: EventLike, stop: EventLike, measure_cpu: bool
) -> WorkerResult:
    """Post entries in transactions of ``spec.batch`` until ``stop`` is set."""
    rng = random.Random(spec.seed)
    pick = _account_picker(spec, rng)
    result = WorkerResult(spec.worker)
    per_txn = spec.batch if spec.case == "batched" else 1
    prefix = f"b{spec.run_id}:{spec.label}:{spec.worker}:"
    seq = 0
    go.wait()
    cpu_start = common.process_cpu_seconds()
    while not stop.is_set():
        requests = []
        for _ in range(per_txn):
            debit, credit = pick()
            amount = rng.randint(1, 100_000)
            seq += 1
            requests.append(
                EntryRequest(
                    f"{prefix}{seq}",
                    [PostingLine.debit(debit, amount), PostingLine.credit(credit, amount)],
                    "bench",
                )
            )
        post_ms: list[float] = []
        started = time.perf_counter()
        try:
            with sessions.unit_of_work() as session:
                ledger = Ledger(session, now_utc)
                t0 = time.perf_counter()
                if per_txn > 1:  # a batch: one post_many, one balance move per account
                    ledger.post_many(requests)
                else:
                    ledger.post(requests[0])
                post_ms.append((time.perf_counter() - t0) * 1000.0 / per_txn)
        except Exception as exc:  # counted and reported, never hidden
            result.errors += 1
            if len(result.error_samples) < ERROR_SAMPLES:
                result.error_samples.append(f"{type(exc).__name__}: {str(exc)[:300]}")
            continue
        result.txn_ms.append((time.perf_counter() - started) * 1000.0)
        result.post_ms.extend(post_ms)
        result.transactions += 1
        result.entries += len(requests)
    result.finished_at = time.monotonic()
    if measure_cpu:
        result.cpu_seconds = common.process_cpu_seconds() - cpu_start
    result.peak_rss_mb = common.peak_rss()["self_mb"]
    return result


def _sessions_for(url: str, pool_size: int) -> Sessions:
    return Sessions(make_database(Settings(database_url=url, database_pool_size=pool_size)))


def _warm_up(sessions: Sessions) -> None:
    with sessions.unit_of_work() as session:
        session.execute(text("SELECT 1"))


def _process_main(
    spec: WorkerSpec, go: EventLike, stop: EventLike, release: EventLike, out: Any
) -> None:
    try:
        sessions = _sessions_for(spec.url, 1)
        _warm_up(sessions)
        out.put(("ready", spec.worker, None))
        result = run_worker(spec, sessions, go, stop, measure_cpu=True)
        out.put(("result", spec.worker, result))
        release.wait(120)  # keep the backend alive until the case's CPU has been read
        sessions.database.dispose()
    except BaseException:
        out.put(("crash", spec.worker, traceback.format_exc()))


# -- the sealer -----------------------------------------------------------------------------


@dataclass
class SealerResult:
    blocks: int = 0
    entries_sealed: int = 0
    busy_seconds: float = 0.0
    """Time spent inside transactions that sealed a block."""
    ticks: int = 0
    max_tick_entries: int = 0
    """The most entries one tick found queued (and sealed)."""
    max_tick_seconds: float = 0.0
    drained_at: float | None = None
    """``time.monotonic()`` when the queue was empty after the writers stopped."""
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0


@dataclass(frozen=True)
class SealerSetup:
    pem: bytes
    interval_s: float
    max_blocks: int


@dataclass(frozen=True)
class SealerPlan:
    go: EventLike
    writers_done: EventLike
    give_up: EventLike
    interval_s: float
    """Pause between ticks, as the worker's beat schedule (``ledger_seal_interval_s``)."""
    max_blocks: int
    """Blocks per tick at most, as the worker's task (``MAX_BLOCKS_PER_RUN``)."""


def _seal_tick(sessions: Sessions, signer: Any, result: SealerResult, max_blocks: int) -> None:
    """One run of the worker's task: seal blocks, one per transaction, until none is left or
    ``max_blocks`` are sealed (``app.books.tasks.seal_ledger``)."""
    tick_started, tick_entries = time.perf_counter(), 0
    for _ in range(max_blocks):
        started = time.perf_counter()
        try:
            with sessions.unit_of_work() as session:
                block = Ledger(session, now_utc).seal_next_block(signer)
        except Exception as exc:  # counted and reported, never hidden
            result.errors += 1
            if len(result.error_samples) < ERROR_SAMPLES:
                result.error_samples.append(f"{type(exc).__name__}: {str(exc)[:300]}")
            break
        if block is None:
            break
        result.busy_seconds += time.perf_counter() - started
        result.blocks += 1
        result.entries_sealed += block.entry_count
        tick_entries += block.entry_count
    result.ticks += 1
    result.max_tick_entries = max(result.max_tick_entries, tick_entries)
    result.max_tick_seconds = max(result.max_tick_seconds, time.perf_counter() - tick_started)


def _sealer_main(url: str, pem: bytes, plan: SealerPlan, out: Any) -> None:
    """The sealer as the worker runs it: a tick every ``interval_s``, each tick draining the
    queue; when the writers stop, one more tick at once, timed (the drain)."""
    try:
        signer = load_private_key(pem)
        sessions = _sessions_for(url, 1)
        _warm_up(sessions)
        out.put(("ready", -1, None))
        result = SealerResult()
        plan.go.wait()
        while not plan.give_up.is_set():
            done = plan.writers_done.is_set()
            _seal_tick(sessions, signer, result, plan.max_blocks)
            if done and _count_unsealed(sessions) == 0:
                result.drained_at = time.monotonic()
                break
            plan.writers_done.wait(plan.interval_s)
        sessions.database.dispose()
        result.peak_rss_mb = common.peak_rss()["self_mb"]
        out.put(("sealer", -1, result))
    except BaseException:
        out.put(("crash", -1, traceback.format_exc()))


# -- running one case -----------------------------------------------------------------------


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


def _postgres_pids(sessions: Sessions) -> tuple[set[int], set[int]]:
    """PostgreSQL's client backends on the benchmark's database, and its background processes.

    Client backends of other databases are in neither: they are another workload's.
    """
    with sessions.unit_of_work() as session:
        rows = session.execute(
            text(
                "SELECT pid, backend_type = 'client backend', datname = current_database() "
                "FROM pg_stat_activity"
            )
        ).all()
    ours = {int(pid) for pid, client, here in rows if client and here}
    background = {int(pid) for pid, client, _ in rows if not client}
    return ours, background


def _count_sealed(sessions: Sessions) -> int:
    with sessions.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(SealMember)).scalar_one())


def _count_unsealed(sessions: Sessions) -> int:
    with sessions.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(UnsealedEntry)).scalar_one())


class Window:
    """The measured interval of one case: wall time, machine CPU, pg_subtrans lookups."""

    def __init__(
        self, main_sessions: Sessions, writer_pids: set[int], sealer_pids: set[int]
    ) -> None:
        self._sessions = main_sessions
        backends, background = _postgres_pids(main_sessions)
        self._groups = {
            "writers": writer_pids,
            "sealer": sealer_pids,
            "harness": {os.getpid()} - writer_pids,
            "bench_postgres": backends,
            "postgres_background": background,
        }
        self._slru = _subtrans_lookups(main_sessions)
        self.sealed_at_start = _count_sealed(main_sessions)
        self._procs = common.process_cpu_table()
        self._cpu = common.CpuSample.take()
        self.started = time.monotonic()

    def close(self, results: list[WorkerResult], client_cpu_seconds: float) -> CaseRun:
        ended = max(r.finished_at for r in results)
        busy = common.CpuSample.take().busy_share_since(self._cpu)
        spent = common.attribute_cpu(self._procs, common.process_cpu_table(), self._groups)
        run = CaseRun(results, ended - self.started, busy, client_cpu_seconds)
        run.cpu_by_group = spent
        run.subtrans_lookups = _subtrans_lookups(self._sessions) - self._slru
        run.sealed_at_start = self.sealed_at_start
        return run


def _await_sealer(run: CaseRun, main_sessions: Sessions, writers_done: EventLike, out: Any) -> None:
    """Count the queue the writers left, tell the sealer, wait until it has drained it."""
    run.unsealed_at_stop = _count_unsealed(main_sessions)
    run.sealed_during = _count_sealed(main_sessions) - run.sealed_at_start
    run.writers_done_at = time.monotonic()
    writers_done.set()
    run.sealer = _collect(out, {"sealer"}, 1, 600)[0][1]


def run_case_processes(
    specs: list[WorkerSpec], seconds: float, main_sessions: Sessions, sealer: SealerSetup | None
) -> CaseRun:
    ctx = multiprocessing.get_context("spawn")
    go, stop, give_up = ctx.Event(), ctx.Event(), ctx.Event()
    writers_done, release = ctx.Event(), ctx.Event()
    out: Any = ctx.Queue()
    procs = [
        ctx.Process(target=_process_main, args=(s, go, stop, release, out), daemon=True)
        for s in specs
    ]
    if sealer is not None:
        plan = SealerPlan(go, writers_done, give_up, sealer.interval_s, sealer.max_blocks)
        procs.append(
            ctx.Process(
                target=_sealer_main, args=(specs[0].url, sealer.pem, plan, out), daemon=True
            )
        )
    for p in procs:
        p.start()
    try:
        _collect(out, {"ready"}, len(procs), READY_TIMEOUT_S)
        pids = [p.pid for p in procs if p.pid is not None]
        window = Window(main_sessions, set(pids[: len(specs)]), set(pids[len(specs) :]))
        go.set()
        time.sleep(seconds)
        stop.set()
        results = [r for _, r in _collect(out, {"result"}, len(specs), seconds + 120)]
        run = window.close(results, sum(r.cpu_seconds for r in results))
        release.set()
        if sealer is not None:
            _await_sealer(run, main_sessions, writers_done, out)
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
    specs: list[WorkerSpec], seconds: float, main_sessions: Sessions, sealer: SealerSetup | None
) -> CaseRun:
    """Threads in this process, sharing one engine; the sealer still runs in a process."""
    sessions = _sessions_for(specs[0].url, len(specs) + 1)
    for _ in range(len(specs)):
        _warm_up(sessions)
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
            target=_sealer_main, args=(specs[0].url, sealer.pem, plan, out), daemon=True
        )
        sealer_proc.start()
        _collect(out, {"ready"}, 1, READY_TIMEOUT_S)
    threads = [threading.Thread(target=body, args=(s,), daemon=True) for s in specs]
    for t in threads:
        t.start()
    try:
        sealer_pids = {sealer_proc.pid} if sealer_proc and sealer_proc.pid else set()
        window = Window(main_sessions, {os.getpid()}, sealer_pids)
        own_cpu0 = common.process_cpu_seconds()
        go.set()
        sealer_go.set()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        if crashes:
            raise RuntimeError(f"a worker thread crashed:\n{crashes[0]}")
        run = window.close(results, common.process_cpu_seconds() - own_cpu0)
        if sealer_proc is not None:
            _await_sealer(run, main_sessions, writers_done, out)
        return run
    finally:
        stop.set()
        give_up.set()
        if sealer_proc is not None:
            sealer_proc.join(timeout=30)
            if sealer_proc.is_alive():
                sealer_proc.terminate()
        sessions.database.dispose()


def summarise(name: str, run: CaseRun, per_txn: int, nproc: int) -> dict[str, Any]:
    txn_ms = [v for r in run.results for v in r.txn_ms]
    post_ms = [v for r in run.results for v in r.post_ms]
    entries = sum(r.entries for r in run.results)
    errors = sum(r.errors for r in run.results)
    samples = [s for r in run.results for s in r.error_samples][:ERROR_SAMPLES]
    summary: dict[str, Any] = {
        "entries": entries,
        "transactions": sum(r.transactions for r in run.results),
        "entries_per_transaction": per_txn,
        "wall_seconds": round(run.wall_seconds, 3),
        "entries_per_s": round(entries / run.wall_seconds, 1),
        "transactions_per_s": round(len(txn_ms) / run.wall_seconds, 1),
        "txn_p50_ms": common.rounded(common.percentile(txn_ms, 50)),
        "txn_p99_ms": common.rounded(common.percentile(txn_ms, 99)),
        "txn_max_ms": common.rounded(max(txn_ms) if txn_ms else None),
        "post_call_p50_ms": common.rounded(common.percentile(post_ms, 50), 3),
        "post_call_p99_ms": common.rounded(common.percentile(post_ms, 99), 3),
        "errors": errors,
        "error_samples": samples,
        "machine_cpu_busy_pct": common.rounded(
            None if run.machine_busy is None else run.machine_busy * 100, 1
        ),
        "client_cpu_cores": round(run.client_cpu_seconds / run.wall_seconds, 2),
        "machine_cores": nproc,
        "pg_subtrans_lookups": run.subtrans_lookups,
        "pg_subtrans_lookups_per_entry": (
            round(run.subtrans_lookups / entries, 1) if entries and run.subtrans_lookups else 0
        ),
    }
    if entries and run.machine_busy is not None:
        machine_ms = run.machine_busy * nproc * run.wall_seconds / entries * 1000
        client_ms = run.client_cpu_seconds / entries * 1000
        summary["machine_cpu_ms_per_entry"] = round(machine_ms, 3)
        summary["client_cpu_ms_per_entry"] = round(client_ms, 3)
        summary["other_cpu_ms_per_entry"] = round(machine_ms - client_ms, 3)
        # "other": everything but the writers (PostgreSQL, the kernel, the sealer if it runs)
        summary["cpu_ms_per_entry_by_group"] = {
            group: round(seconds / entries * 1000, 3) for group, seconds in run.cpu_by_group.items()
        }
        total = sum(run.cpu_by_group.values())
        foreign = run.cpu_by_group.get("other_processes", 0.0) + run.cpu_by_group.get(
            "other_postgres", 0.0
        )
        summary["foreign_cpu_share"] = round(foreign / total, 3) if total else None
    if per_txn > 1:
        summary["per_entry_p50_ms"] = common.rounded(
            common.percentile([v / per_txn for v in txn_ms], 50), 3
        )
        summary["per_entry_p99_ms"] = common.rounded(
            common.percentile([v / per_txn for v in txn_ms], 99), 3
        )
    log(
        f"{name}: {summary['entries_per_s']} entries/s, p50 {summary['txn_p50_ms']} ms, "
        f"p99 {summary['txn_p99_ms']} ms, errors {errors}, machine CPU "
        f"{summary['machine_cpu_busy_pct']}%"
    )
    return summary


def summarise_sealer(run: CaseRun, case_entries: int, interval_s: float) -> dict[str, Any]:
    sealer = run.sealer
    assert sealer is not None
    assert run.writers_done_at is not None
    drain_s = None if sealer.drained_at is None else sealer.drained_at - run.writers_done_at
    queued = run.unsealed_at_stop or 0
    return {
        "case": "uniform+sealer",
        "interval_s": interval_s,
        "max_blocks_per_tick": MAX_BLOCKS_PER_RUN,
        "ticks": sealer.ticks,
        "max_entries_per_tick": sealer.max_tick_entries,
        "max_tick_seconds": round(sealer.max_tick_seconds, 3),
        "worst_lag_seconds_estimate": round(interval_s + sealer.max_tick_seconds, 3),
        "entries_written_during_case": case_entries,
        "entries_sealed_during_case": run.sealed_during,
        "unsealed_at_end_of_case": queued,
        "drain_seconds": common.rounded(drain_s, 3),
        "drain_entries_per_s": (round(queued / drain_s, 1) if drain_s and queued else None),
        "busy_entries_per_s": (
            round(sealer.entries_sealed / sealer.busy_seconds, 1) if sealer.busy_seconds else None
        ),
        "blocks": sealer.blocks,
        "entries_sealed_total": sealer.entries_sealed,
        "errors": sealer.errors,
        "error_samples": sealer.error_samples,
        "peak_rss_mb": sealer.peak_rss_mb,
    }


def drain_backlog(sessions: Sessions, pem: bytes) -> dict[str, Any]:
    """Seal everything the cases left queued, with no writers running; then verify the chain."""
    signer = load_private_key(pem)
    queued = _count_unsealed(sessions)
    sealed, blocks = 0, 0
    watch = common.Stopwatch()
    while True:
        with sessions.unit_of_work() as session:
            block = Ledger(session, now_utc).seal_next_block(signer)
        if block is None:
            break
        sealed += block.entry_count
        blocks += 1
    seal_s = watch.seconds()
    watch = common.Stopwatch()
    with sessions.reader() as session:
        report = Ledger(session, now_utc).verify([signer.public_key()])
    verify_s = watch.seconds()
    log(
        f"backlog: sealed {sealed:,} entries in {seal_s:.1f} s; verify "
        f"{'ok' if report.ok else report.first_break} in {verify_s:.1f} s"
    )
    return {
        "queued": queued,
        "entries_sealed": sealed,
        "blocks": blocks,
        "seconds": round(seal_s, 3),
        "entries_per_s": round(sealed / seal_s, 1) if seal_s and sealed else None,
        "verify_ok": report.ok,
        "verify_first_break": report.first_break,
        "verify_entries_checked": report.entries_checked,
        "verify_seconds": round(verify_s, 3),
        "verify_entries_per_s": (
            round(report.entries_checked / verify_s, 1)
            if verify_s and report.entries_checked
            else None
        ),
    }


# -- consistency ----------------------------------------------------------------------------


def consistency(sessions: Sessions, expected_entries: int) -> dict[str, Any]:
    """Do the database's counts agree with what the workers said they committed?"""
    with sessions.unit_of_work() as session:
        entries = session.execute(select(func.count()).select_from(JournalEntry)).scalar_one()
        sealed = session.execute(select(func.count()).select_from(SealMember)).scalar_one()
        unsealed = session.execute(select(func.count()).select_from(UnsealedEntry)).scalar_one()
        debits, credits = session.execute(
            select(func.sum(Account.debits_posted), func.sum(Account.credits_posted))
        ).one()
    return {
        "entries_in_database": int(entries),
        "entries_counted_by_workers": expected_entries,
        "counts_agree": int(entries) == expected_entries,
        "sealed_plus_unsealed_equals_entries": int(sealed) + int(unsealed) == int(entries),
        "debits_equal_credits": int(debits or 0) == int(credits or 0),
    }


# -- report ---------------------------------------------------------------------------------


def _ratio(value: float, base: float) -> float:
    return round(value / base, 3) if base else 0.0


def build_table(data: dict[str, Any]) -> str:
    base = data["pgbench_tps"]
    rows: list[list[Any]] = [
        [
            "pgbench (TPC-B-like, baseline)",
            f"{base:.0f} tps",
            "1.00x",
            "",
            "",
            f"avg {data['pgbench']['latency_avg_ms']}",
            "",
            data["pgbench"]["failed_transactions"],
        ]
    ]
    for name in ("uniform", "hot", "batched", "uniform+sealer"):
        case = data["cases"][name]
        aim = AIMS.get(name)
        ratio = case["entries_per_s"] / base if base else 0.0
        rows.append(
            [
                name,
                f"{case['entries_per_s']:.0f} entries/s",
                f"{ratio:.2f}x",
                f">= {aim}x" if aim else "",
                ("yes" if ratio >= aim else "no") if aim else "",
                case["txn_p50_ms"],
                case["txn_p99_ms"],
                case["errors"],
            ]
        )
    batched = data["cases"]["batched"]
    rows.append(
        [
            "batched, per entry (txn / 100)",
            "",
            "",
            "",
            "",
            batched["per_entry_p50_ms"],
            batched["per_entry_p99_ms"],
            "",
        ]
    )
    return common.format_table(
        ["case", "throughput", "vs pgbench", "aim", "met", "p50 ms", "p99 ms", "errors"], rows
    )


def build_cpu_table(data: dict[str, Any]) -> str:
    """CPU ms per entry (per transaction for pgbench), machine-wide and by process group.

    "unattributed" is the machine-wide figure less the groups: kernel time not charged to a
    process (loopback TCP, interrupts) and processes that exited during the case.
    """
    pg = data["pgbench"]
    pg_rest = (pg["machine_cpu_ms_per_txn"] or 0) - (pg["client_cpu_ms_per_txn"] or 0)
    pg_rest -= pg["foreign_cpu_ms_per_txn"] or 0
    rows: list[list[Any]] = [
        [
            "pgbench, per transaction",
            pg["machine_cpu_busy_pct"],
            pg["machine_cpu_ms_per_txn"],
            pg["client_cpu_ms_per_txn"],
            "",
            f"{pg_rest:.3f} (all the rest)",
            "",
            pg["foreign_cpu_ms_per_txn"],
            "",
        ]
    ]
    for name in ("uniform", "hot", "batched", "uniform+sealer"):
        case = data["cases"][name]
        by = case.get("cpu_ms_per_entry_by_group", {})
        foreign = (by.get("other_postgres") or 0) + (by.get("other_processes") or 0)
        machine = case.get("machine_cpu_ms_per_entry") or 0
        rows.append(
            [
                f"{name}, per entry",
                case["machine_cpu_busy_pct"],
                case.get("machine_cpu_ms_per_entry"),
                by.get("writers"),
                by.get("sealer") or "",
                by.get("bench_postgres"),
                by.get("postgres_background"),
                round(foreign + (by.get("harness") or 0), 3),
                round(machine - sum(by.values()), 3),
            ]
        )
    return common.format_table(
        [
            "",
            "machine busy %",
            "machine CPU ms",
            "writers",
            "sealer",
            "its PostgreSQL backends",
            "PostgreSQL background",
            "other processes",
            "unattributed",
        ],
        rows,
    )


def _paragraph(*parts: str) -> str:
    return common.wrap_markdown(" ".join(p.strip() for p in parts), width=DOC_WIDTH)


def build_doc_section(data: dict[str, Any], table: str) -> str:
    sealer, backlog, check = data["sealer"], data["backlog"], data["consistency"]
    workers, mode, batch = data["workers"], data["mode"], data["batch"]
    uniform = data["cases"]["uniform"]
    pg = data["pgbench"]
    verdict = "ok" if backlog["verify_ok"] else f"FAILED: {backlog['verify_first_break']}"
    same = "the same as" if check["counts_agree"] else "NOT the same as"
    balanced = "equal" if check["debits_equal_credits"] else "DIFFER from"
    queued = sealer["unsealed_at_end_of_case"]
    shares = [pg.get("foreign_cpu_share") or 0.0]
    shares += [c.get("foreign_cpu_share") or 0.0 for c in data["cases"].values()]
    quiet = (
        f"The machine was otherwise quiet: other processes took at most {max(shares):.0%} of "
        "the CPU during the measurements."
        if max(shares) <= QUIET_SHARE
        else f"The machine was NOT quiet: other processes took up to {max(shares):.0%} of the "
        "CPU during the measurements, so these figures understate both pgbench and the "
        "ledger; rerun on a quiet machine."
    )
    rss_note = (
        f"each worker process peaked near {data['peak_rss_worker_mb']} MB"
        if mode == "processes"
        else "the worker threads share this process"
    )
    hot_ratio = data["cases"]["hot"]["entries_per_s"] / max(uniform["entries_per_s"], 1e-9)
    hot_note = (
        f"The hot account cost little here (hot ran at {hot_ratio:.0%} of uniform): CPU runs "
        "out before its row lock (held from its UPDATE to COMMIT) does."
        if hot_ratio >= 0.9
        else f"Hot ran at {hot_ratio:.0%} of uniform. Waiting for the hot row's lock was only a "
        "few percent of the backends' time when sampled from `pg_stat_activity` (they mostly "
        "wait for their clients); the cost shows as more PostgreSQL CPU per entry (table "
        "above) on the one row that every third entry updates."
    )
    mode_note = (
        "Workers are processes: as threads (`--mode threads`) they would share one GIL, "
        "capping the writers' Python at one core."
        if mode == "processes"
        else "Workers are threads of one process, so the GIL caps the writers' Python at one "
        "core; `--mode processes` lifts that cap."
    )
    blocks_out = [
        "## Ledger (make bench-ledger)",
        _paragraph(f"Last run {data['timestamp']} on {common.machine_line(data['machine'])}."),
        _paragraph(
            f"Command: `{data['command']}` (the `bench-ledger` make target), "
            f"{data['total_seconds']:.0f} s in all. Every figure of the run is in "
            "`bench/results/ledger.json`."
        ),
        _paragraph(
            f"The baseline is `pgbench -i -s {PGBENCH_SCALE}` then `pgbench -c {workers} -j 2 "
            f"-T {data['durations']['pgbench_seconds']}` (TPC-B-like: five statements a "
            "transaction) on a scratch database of the same server. The ledger runs on a fresh "
            f"database migrated by Alembic, with {data['accounts']:,} accounts (half assets, "
            "half liabilities, no balance constraint) and one `hot=True` asset account; "
            f"{workers} writers ({mode}) run each case for "
            f"{data['durations']['case_seconds']:.0f} s, every transaction its own "
            "`Sessions.unit_of_work`, every entry two postings under a unique idempotency key: "
            "**uniform** (one entry per transaction on two random accounts), **hot** "
            f"({data['hot_share']:.0%} of the entries have the hot account on one side), "
            f"**batched** ({batch} entries per transaction in one `ledger.post_many`, on random "
            "accounts) and **uniform+sealer** (uniform while the sealer "
            "loops on `seal_next_block` in a process of its own). Throughput is entries "
            "committed per wall second, latencies are per transaction, aims are multiples of "
            "pgbench's TPS.",
        ),
        table,
        _paragraph(
            f"Sealer, during uniform+sealer, run as the worker runs it (a tick every "
            f"{sealer['interval_s']:g} s, each tick sealing blocks of up to 1,000 entries, one "
            f"transaction each, until the queue is empty or "
            f"{sealer['max_blocks_per_tick']} blocks are sealed): {sealer['ticks']} ticks sealed "
            f"{sealer['entries_sealed_during_case']:,} of the "
            f"{sealer['entries_written_during_case']:,} entries while the writers ran, the "
            f"largest tick {sealer['max_entries_per_tick']:,} entries in "
            f"{sealer['max_tick_seconds']} s, so an entry waited at most about "
            f"{sealer['worst_lag_seconds_estimate']} s for its seal. **{queued:,} "
            f"{'entry was' if queued == 1 else 'entries were'} queued unsealed** when the "
            f"writers stopped; a tick started at once drained them in "
            f"**{sealer['drain_seconds']} s**"
            + (
                f" ({sealer['drain_entries_per_s']} entries/s)."
                if sealer["drain_entries_per_s"]
                else "."
            )
            + " "
            f"Alone after the cases, it sealed the {backlog['entries_sealed']:,} entries the "
            f"other cases had left in {backlog['seconds']} s (**{backlog['entries_per_s']} "
            "entries/s** in blocks of up to 1,000), and `verify` rechecked all "
            f"{backlog['verify_entries_checked']:,} sealed entries in "
            f"{backlog['verify_seconds']} s ({verdict})."
        ),
        _paragraph(
            f"Errors: {data['errors']} (writers and sealer). After the run the database holds "
            f"{check['entries_in_database']:,} entries, "
            f"{same} the writers counted, and total debits {balanced} total credits. Peak RSS "
            f"{data['peak_rss_mb']} MB (this process plus its largest child, from "
            f"`getrusage`); {rss_note}."
        ),
        _paragraph(
            "Where the CPU goes, in ms per entry (per transaction for pgbench): machine-wide "
            "from `/proc/stat`, then by group of processes, by pid from `/proc/*/stat`. "
            f"{quiet}"
        ),
        build_cpu_table(data),
        _paragraph(
            f"What limits the figures: CPU. The {data['machine']['nproc']} cores run PostgreSQL "
            "and the writers together and are saturated in every case "
            f"({uniform['machine_cpu_busy_pct']}% busy in uniform), and a ledger entry costs "
            f"far more CPU than a pgbench transaction ({uniform.get('machine_cpu_ms_per_entry')}"
            f" ms against {pg['machine_cpu_ms_per_txn']} ms). On PostgreSQL a single-entry "
            "transaction makes five round trips (pool pre-ping, BEGIN with the account-facts "
            "SELECT, one `ledger_write(jsonb)` call that locks, checks, inserts and moves "
            "balances, COMMIT) against pgbench's seven, so round trips are not the limit; CPU "
            "per entry is. Measured on one writer with 10,000 accounts on a quiet machine: "
            "about 1.6 ms of Python (SQLAlchemy session and statement setup, building and "
            "parsing the JSON, the ledger's checks) and 1.3 ms of PostgreSQL backend per "
            "entry, of which about 0.4 ms is the deferred balanced-entry trigger firing once per "
            "posting and most of the rest `ledger_write` itself (the lock, the replay probe on "
            "three unique indexes, three inserts with their foreign-key checks and the "
            "seal-queue trigger, two updates, a subtransaction). Under eight writers the "
            "backends' share per entry grows several-fold (table above): the append-only "
            "tables' primary-key and queue indexes all insert at their right-most page.",
            "Batching amortises the per-transaction and per-statement costs: `post_many` sends "
            "a batch as one `ledger_write` call and moves each account once, in the global lock "
            "order, so batches over random accounts cannot deadlock (this run draws them at "
            "random). Ways forward, in order of expected gain: check balance per entry in one "
            "statement-level pass at commit instead of once per posting; drop the "
            "account-facts SELECT by caching accounts' immutable facts per process; keep the "
            "Python path free of ORM session machinery (Core connection only).",
            f"{hot_note} The sealer shares the cores with the writers; its lag is the queue it "
            f"leaves, not a slowdown of their commits. {mode_note}",
        ),
    ]
    return "\n\n".join(blocks_out) + "\n"


def write_outputs(data: dict[str, Any], table: str, output: Path, docs: bool) -> None:
    common.write_json(output, data)
    log(f"wrote {output}")
    if docs:
        common.replace_doc_section("ledger", build_doc_section(data, table))
        log(f"refreshed the ledger section of {common.PERFORMANCE_DOC}")


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ledger_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="per ledger case (20)")
    parser.add_argument("--pgbench-seconds", type=int, default=30, help="pgbench -T (30)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent writers (8)")
    parser.add_argument(
        "--mode",
        choices=("processes", "threads"),
        default="processes",
        help="workers as processes (default) or threads of this process",
    )
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100, help="entries per batched transaction")
    parser.add_argument("--hot-share", type=float, default=0.3)
    parser.add_argument(
        "--seal-interval",
        type=float,
        default=SEAL_INTERVAL_S,
        help=f"seconds between sealer ticks (the app's ledger_seal_interval_s, {SEAL_INTERVAL_S})",
    )
    parser.add_argument(
        "--batched-accounts",
        choices=("sharded", "random"),
        default="random",
        help="batched case: each worker on its own slice of accounts, or any",
    )
    parser.add_argument(
        "--cases",
        default="uniform+sealer,uniform,hot,batched",
        help="comma-separated subset, in order (a full run needs all four)",
    )
    parser.add_argument("--output", type=Path, default=common.RESULTS_DIR / "ledger.json")
    parser.add_argument(
        "--docs-only",
        action="store_true",
        help="measure nothing: rewrite the docs section from the results file (--output)",
    )
    parser.add_argument(
        "--no-docs", action="store_true", help="do not rewrite docs/performance.md (for trial runs)"
    )
    return parser.parse_args(argv)


@dataclass
class LedgerRun:
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    sealer: dict[str, Any] | None = None
    backlog: dict[str, Any] | None = None
    consistency: dict[str, Any] | None = None
    worker_rss_mb: list[float] = field(default_factory=list)


def run_ledger(args: argparse.Namespace, admin: str, cases: list[str], nproc: int) -> LedgerRun:
    run_id = uuid.uuid4().hex[:8]
    name = common.scratch_name("mkopo_bench_ledger")
    url = common.sqlalchemy_url(admin, name)
    common.create_database(admin, name)
    sessions: Sessions | None = None
    out = LedgerRun()
    try:
        log(f"ledger: migrating {name}")
        common.migrate(url)
        sessions = _sessions_for(url, 2)
        watch = common.Stopwatch()
        chart = open_accounts(sessions, args.accounts)
        log(f"ledger: opened {args.accounts:,} accounts + 1 hot in {watch.seconds():.1f} s")
        pem = generate_private_pem()
        runner = run_case_processes if args.mode == "processes" else run_case_threads
        for case in cases:
            kind = "uniform" if case == "uniform+sealer" else case
            specs = [
                WorkerSpec(
                    url,
                    kind,
                    w,
                    args.workers,
                    run_id,
                    chart,
                    args.hot_share,
                    args.batch,
                    args.batched_accounts,
                    seed=f"{run_id}:{case}:{w}",
                    label=case,
                )
                for w in range(args.workers)
            ]
            log(f"case {case}: {args.workers} {args.mode}, {args.seconds:.0f} s")
            sealer = (
                SealerSetup(pem, args.seal_interval, MAX_BLOCKS_PER_RUN)
                if case == "uniform+sealer"
                else None
            )
            run = runner(specs, args.seconds, sessions, sealer)
            per_txn = args.batch if kind == "batched" else 1
            out.summaries[case] = summarise(case, run, per_txn, nproc)
            out.worker_rss_mb += [r.peak_rss_mb for r in run.results]
            if run.sealer is not None:
                out.sealer = summarise_sealer(
                    run, out.summaries[case]["entries"], args.seal_interval
                )
                log(
                    f"sealer: {out.sealer['unsealed_at_end_of_case']} queued at the end, "
                    f"drained in {out.sealer['drain_seconds']} s"
                )
        out.backlog = drain_backlog(sessions, pem)
        out.consistency = consistency(sessions, sum(s["entries"] for s in out.summaries.values()))
    finally:
        if sessions is not None:
            sessions.database.dispose()
        common.drop_database(admin, name)
    return out


def assemble(
    args: argparse.Namespace,
    argv: list[str] | None,
    *,
    machine: dict[str, Any],
    pgbench: dict[str, Any],
    ledger: LedgerRun,
    total_s: float,
) -> dict[str, Any]:
    summaries = ledger.summaries
    base = pgbench["tps"]

    def eps(case: str) -> float | None:
        return summaries[case]["entries_per_s"] if case in summaries else None

    rss = common.peak_rss()
    p50 = {c: s["txn_p50_ms"] for c, s in summaries.items()}
    p99 = {c: s["txn_p99_ms"] for c, s in summaries.items()}
    if "batched" in summaries:
        p50["batched_per_entry"] = summaries["batched"].get("per_entry_p50_ms")
        p99["batched_per_entry"] = summaries["batched"].get("per_entry_p99_ms")
    sealer_errors = ledger.sealer["errors"] if ledger.sealer else 0
    shown = argv if argv is not None else sys.argv[1:]
    return {
        "benchmark": "ledger",
        "timestamp": common.utc_timestamp(),
        "command": " ".join([".venv/bin/python -m bench.ledger_bench", *shown]),
        "complete": set(summaries) == {"uniform+sealer", "uniform", "hot", "batched"},
        "pgbench_tps": base,
        "uniform_tps": eps("uniform"),
        "hot_tps": eps("hot"),
        "batched_tps": eps("batched"),
        "uniform_sealer_tps": eps("uniform+sealer"),
        "uniform_ratio": _ratio(eps("uniform") or 0, base),
        "hot_ratio": _ratio(eps("hot") or 0, base),
        "batched_ratio": _ratio(eps("batched") or 0, base),
        "aims": AIMS,
        "p50_ms": p50,
        "p99_ms": p99,
        "errors": sum(s["errors"] for s in summaries.values()) + sealer_errors,
        "peak_rss_mb": rss["self_plus_children_mb"],
        "peak_rss": rss,
        "peak_rss_worker_mb": max(ledger.worker_rss_mb) if ledger.worker_rss_mb else None,
        "sealer": ledger.sealer,
        "backlog": ledger.backlog,
        "workers": args.workers,
        "mode": args.mode,
        "accounts": args.accounts,
        "hot_share": args.hot_share,
        "batch": args.batch,
        "batched_accounts": args.batched_accounts,
        "durations": {"pgbench_seconds": args.pgbench_seconds, "case_seconds": args.seconds},
        "pgbench": pgbench,
        "cases": summaries,
        "consistency": ledger.consistency,
        "machine": machine,
        "total_seconds": round(total_s, 1),
    }


def print_report(data: dict[str, Any], table: str) -> None:
    print()
    print(
        f"Ledger benchmark: {data['workers']} {data['mode']}, "
        f"{data['durations']['case_seconds']:.0f} s per case"
    )
    print(common.machine_line(data["machine"]))
    print()
    if table:
        print(table)
        print()
        print(build_cpu_table(data))
    else:
        for case, summary in data["cases"].items():
            print(f"{case}: {summary}")
    sealer, backlog = data["sealer"], data["backlog"]
    if sealer:
        print(
            f"\nsealer (tick every {sealer['interval_s']:g} s): "
            f"{sealer['unsealed_at_end_of_case']} entries unsealed at the end of uniform+sealer, "
            f"drained in {sealer['drain_seconds']} s; largest tick "
            f"{sealer['max_entries_per_tick']} entries in {sealer['max_tick_seconds']} s"
        )
    if backlog:
        print(
            f"backlog: {backlog['entries_sealed']} entries sealed alone in "
            f"{backlog['seconds']} s ({backlog['entries_per_s']} entries/s); verify "
            f"{'ok' if backlog['verify_ok'] else backlog['verify_first_break']} in "
            f"{backlog['verify_seconds']} s"
        )
    print(
        f"peak RSS {data['peak_rss_mb']} MB; errors {data['errors']}; "
        f"consistency {data['consistency']}; total {data['total_seconds']} s"
    )


def _exit_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # so the scratch databases are dropped on the way out


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    args = parse_args(argv)
    if args.docs_only:
        data = json.loads(args.output.read_text())
        write_outputs(data, build_table(data), args.output, docs=True)
        return 0
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    admin = common.admin_url()
    total = common.Stopwatch()
    machine = common.machine_description(admin)
    pgbench = run_pgbench(admin, args.workers, args.pgbench_seconds)
    log(f"pgbench: {pgbench['tps']:.1f} tps")
    ledger = run_ledger(args, admin, cases, machine["nproc"] or 1)
    data = assemble(
        args, argv, machine=machine, pgbench=pgbench, ledger=ledger, total_s=total.seconds()
    )
    table = build_table(data) if data["complete"] else ""
    print_report(data, table)
    write_outputs(data, table, args.output, docs=data["complete"] and not args.no_docs)
    checks = data["consistency"] or {}
    sound = (
        data["errors"] == 0
        and checks.get("counts_agree")
        and checks.get("debits_equal_credits")
        and (data["backlog"] or {}).get("verify_ok", True)
    )
    return 0 if sound else 1


if __name__ == "__main__":
    sys.exit(main())
