"""The writers of the ledger benchmark and the accounts they write to.

A writer posts entries in transactions of its own (one entry, or a batch through
``post_many``) until told to stop, counting what committed and timing each transaction;
every exception is counted and sampled, never hidden, and a failed transaction's entries
are not counted.
"""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import func, insert, select, text

from app.db.session import Sessions
from bench.common.databases import app_sessions
from bench.common.measure import peak_rss, process_cpu_seconds
from ledger import AccountSpec, AccountType, EntryRequest, Ledger, PostingLine
from ledger.accounts import validate_spec
from ledger.schema import Account

ERROR_SAMPLES = 5


def now_utc() -> datetime:
    return datetime.now(UTC)


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
    cpu_start = process_cpu_seconds()
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
        result.cpu_seconds = process_cpu_seconds() - cpu_start
    result.peak_rss_mb = peak_rss()["self_mb"]
    return result


def warm_up(sessions: Sessions) -> None:
    """Connect before the clock starts."""
    with sessions.unit_of_work() as session:
        session.execute(text("SELECT 1"))


def process_main(
    spec: WorkerSpec, go: EventLike, stop: EventLike, release: EventLike, out: Any
) -> None:
    try:
        with app_sessions(spec.url, database_pool_size=1) as sessions:
            warm_up(sessions)
            out.put(("ready", spec.worker, None))
            result = run_worker(spec, sessions, go, stop, measure_cpu=True)
            out.put(("result", spec.worker, result))
            release.wait(120)  # keep the backend alive until the case's CPU has been read
    except BaseException:
        out.put(("crash", spec.worker, traceback.format_exc()))
