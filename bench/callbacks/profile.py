"""The profile of the callbacks benchmark: more confirmations stored as the API stores them,
then processed under cProfile; the time inside the functions that matter, by bucket.

The profiler inflates every timing, so these figures say where the time goes, never how
fast processing is (``bench.callbacks.process`` times that, unprofiled).
"""

from __future__ import annotations

import cProfile
import json
import pstats
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from app.db.session import Sessions
from app.mpesa.inbox import Delivery, store_callback
from bench.callbacks.process import CLOCK, blind_index_from, drain
from bench.common.measure import Stopwatch

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


def store_confirmations(
    sessions: Sessions, bodies: list[dict[str, str]], now: Callable[[], datetime] = CLOCK
) -> None:
    """Put C2B confirmations in the inbox as the API does (``store_callback``), in batches."""
    for start in range(0, len(bodies), STORE_BATCH):
        with sessions.unit_of_work() as session:
            for body in bodies[start : start + STORE_BATCH]:
                raw = json.dumps(body, separators=(",", ":")).encode()
                delivery = Delivery("c2b/confirmation", raw, "127.0.0.1")
                store_callback(session, delivery, now(), None)


def profiled_drain(sessions: Sessions, keys_path: Path, path: Path) -> dict[str, Any]:
    """``drain`` under cProfile; the top functions and the buckets of PROFILE_BUCKETS."""
    blind_index = blind_index_from(keys_path)
    profiler = cProfile.Profile()
    watch = Stopwatch()
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
