"""The sealer of the ledger benchmark, run as the worker runs it: a tick every
``interval_s``, each tick sealing blocks (one transaction each) until the queue is empty or
``max_blocks`` are sealed; and, after the cases, the backlog sealed alone and the chain
verified."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from app.db.session import Sessions
from bench.common.databases import app_sessions
from bench.common.measure import Stopwatch, peak_rss
from bench.ledger import log
from bench.ledger.workers import ERROR_SAMPLES, EventLike, now_utc, warm_up
from ledger import Ledger
from ledger.schema import SealMember, UnsealedEntry
from ledger.signing import load_private_key


def count_sealed(sessions: Sessions) -> int:
    with sessions.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(SealMember)).scalar_one())


def count_unsealed(sessions: Sessions) -> int:
    with sessions.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(UnsealedEntry)).scalar_one())


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
    ``max_blocks`` are sealed (``app.accounting.tasks.seal_ledger``)."""
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


def sealer_main(url: str, pem: bytes, plan: SealerPlan, out: Any) -> None:
    """The sealer as the worker runs it: a tick every ``interval_s``, each tick draining the
    queue; when the writers stop, one more tick at once, timed (the drain)."""
    try:
        signer = load_private_key(pem)
        with app_sessions(url, database_pool_size=1) as sessions:
            warm_up(sessions)
            out.put(("ready", -1, None))
            result = SealerResult()
            plan.go.wait()
            while not plan.give_up.is_set():
                done = plan.writers_done.is_set()
                _seal_tick(sessions, signer, result, plan.max_blocks)
                if done and count_unsealed(sessions) == 0:
                    result.drained_at = time.monotonic()
                    break
                plan.writers_done.wait(plan.interval_s)
        result.peak_rss_mb = peak_rss()["self_mb"]
        out.put(("sealer", -1, result))
    except BaseException:
        out.put(("crash", -1, traceback.format_exc()))


def drain_backlog(sessions: Sessions, pem: bytes) -> dict[str, Any]:
    """Seal everything the cases left queued, with no writers running; then verify the chain."""
    signer = load_private_key(pem)
    queued = count_unsealed(sessions)
    sealed, blocks = 0, 0
    watch = Stopwatch()
    while True:
        with sessions.unit_of_work() as session:
            block = Ledger(session, now_utc).seal_next_block(signer)
        if block is None:
            break
        sealed += block.entry_count
        blocks += 1
    seal_s = watch.seconds()
    watch = Stopwatch()
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
