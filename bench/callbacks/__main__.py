"""``python -m bench.callbacks``: the command line (see the package's docstring)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.db.session import Sessions
from app.mpesa.processing import PROCESS_BUDGET_S
from app.security.fields import generate_field_keys_file
from app.settings import Settings
from bench import callbacks
from bench.callbacks import airtel, http, process, profile
from bench.callbacks.doc import build_doc_section
from bench.callbacks.seed import seed_portfolio
from bench.common import report
from bench.common.databases import Scratch, app_sessions, scratch_database
from bench.common.machine import machine_description
from bench.common.measure import Stopwatch

BENCH = report.Benchmark("callbacks", "callbacks-bench", build_doc_section)
DEFAULT_SECONDS = 30
DEFAULT_LOANS = 20_000
DEFAULT_CONNECTIONS = 16
"""Within the API's connection pools (2 workers x ``database_pool_size`` 10): see the docs."""
DEFAULT_WORKERS = 2
"""Measured better than 1 on the 2-core machine (see the docs section)."""
PROFILE_CALLBACKS = 2_000
AIMS = {"accepted_rps": 3000.0, "accepted_p99_ms": 50.0, "processed_per_s": 1000.0}
log = http.log


def beat_interval_s() -> float:
    """The schedule of the task that runs ``process_pending``, from the worker's own config."""
    from app.tasks.celery_app import create_celery  # noqa: PLC0415 (imports Celery; only needed here)

    schedule = create_celery(Settings()).conf.beat_schedule["process-callbacks"]["schedule"]
    return float(schedule)


def processing_phase(
    args: Any, scratch: Scratch, sessions: Sessions, accounts: list[str], tmp: Path
) -> dict[str, Any]:
    """Time the processing of everything the HTTP phase stored, profile more, check all."""
    keys_path = tmp / "field-keys.json"
    amount_minor = http.AMOUNT_KES * 100
    stored = process.books(scratch.libpq_url, sessions)["callbacks_by_status"].get("received", 0)
    scratch.checkpoint()
    log(f"processing {stored:,} stored confirmations ({args.processors} process(es))")
    timed = process.timed_drain(
        scratch, process.DrainSpec(scratch.url, keys_path), sessions, args.processors
    )
    timed["callbacks"] = stored
    timed["processed_per_s"] = round(stored / timed["seconds"], 1) if timed["seconds"] else None
    log(f"  {stored:,} in {timed['seconds']} s: {timed['processed_per_s']:,.0f}/s")
    failures = process.failures_of(process.books(scratch.libpq_url, sessions), stored, amount_minor)
    profiled: dict[str, Any] | None = None
    if args.profile_callbacks:
        when = http.trans_time()
        bodies = [
            http.confirmation(f"P{i:09d}", accounts[(i * 7) % len(accounts)], when)
            for i in range(args.profile_callbacks)
        ]
        profile.store_confirmations(sessions, bodies)
        log(f"profiling the processing of {len(bodies):,} more confirmations (cProfile)")
        stats_path = args.profile_output or tmp / "processing.prof"
        profiled = profile.profiled_drain(sessions, keys_path, stats_path)
        profiled["stats_file"] = str(args.profile_output) if args.profile_output else None
        stored += len(bodies)
    final = process.books(scratch.libpq_url, sessions)
    failures += process.failures_of(final, stored, amount_minor)
    return {
        "timed": timed,
        "profile": profiled,
        "books": final,
        "failures": sorted(set(failures)),
    }


def assemble(
    args: argparse.Namespace,
    argv: list[str],
    phases: dict[str, Any],
    machine: dict[str, Any],
    seed_s: float,
) -> dict[str, Any]:
    http_phase, processing = phases["http"], phases["processing"]
    baseline, accepted = http_phase["baseline"], http_phase["accepted"]
    accepted_rps = round(accepted["acks"] / accepted["seconds"], 1)
    processed = processing["timed"]["processed_per_s"]
    failures = http.http_failures(http_phase, args.connections) + processing["failures"]
    failures += airtel.http_failures(phases["airtel_http"], args.connections)
    failures += phases["airtel_processing"]["failures"]
    interval = beat_interval_s()
    figures = {
        "baseline_rps": baseline["rps"],
        "accepted_rps": accepted_rps,
        "accepted_p50_ms": accepted["latency_ms"]["p50"],
        "accepted_p99_ms": accepted["latency_ms"]["p99"],
        "processed_per_s": processed,
        "ratio": round(accepted_rps / baseline["rps"], 3) if baseline["rps"] else None,
        **airtel_figures(phases, baseline["rps"]),
    }
    return {
        "benchmark": "callbacks",
        "timestamp": report.utc_timestamp(),
        "command": BENCH.command(argv),
        **figures,
        "aims": AIMS,
        "aims_met": {
            "accepted_rps": accepted_rps >= AIMS["accepted_rps"],
            "accepted_p99_ms": figures["accepted_p99_ms"] < AIMS["accepted_p99_ms"],
            "processed_per_s": processed is not None and processed >= AIMS["processed_per_s"],
        },
        "scheduled_cap_per_s": (
            round(processed * min(1.0, PROCESS_BUDGET_S / interval), 1) if processed else None
        ),
        "scheduled_cap_note": (
            f"The worker's beat runs mpesa.process_callbacks every {interval:g} s and each run "
            f"takes batch after batch for at most PROCESS_BUDGET_S = {PROCESS_BUDGET_S:g} s, so "
            "one worker as scheduled processes about this many per second."
        ),
        "verified": not failures,
        "failures": failures,
        "config": {
            "seconds": args.seconds,
            "connections": args.connections,
            "workers": args.workers,
            "loans": args.loans,
            "processors": args.processors,
            "amount_kes": http.AMOUNT_KES,
            "warmup_seconds": http.WARMUP_SECONDS,
            "profile_callbacks": args.profile_callbacks,
        },
        "seed_seconds": round(seed_s, 1),
        "http": http_phase,
        "processing": processing,
        "airtel": {"http": phases["airtel_http"], "processing": phases["airtel_processing"]},
        "environment": machine,
    }


def airtel_figures(phases: dict[str, Any], baseline_rps: float) -> dict[str, Any]:
    """Airtel's collection callbacks, against the same run's ``/healthz`` baseline."""
    accepted = phases["airtel_http"]["accepted"]
    rps = round(accepted["acks"] / accepted["seconds"], 1)
    processed = phases["airtel_processing"]["timed"]["processed_per_s"]
    mpesa_processed = phases["processing"]["timed"]["processed_per_s"]
    return {
        "airtel_accepted_rps": rps,
        "airtel_accepted_p50_ms": accepted["latency_ms"]["p50"],
        "airtel_accepted_p99_ms": accepted["latency_ms"]["p99"],
        "airtel_processed_per_s": processed,
        "airtel_ratio": round(rps / baseline_rps, 3) if baseline_rps else None,
        "airtel_processed_vs_mpesa": (
            round(processed / mpesa_processed, 3) if processed and mpesa_processed else None
        ),
    }


def measure(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    with (
        scratch_database("mkopo_bench_callbacks", log, keep=args.keep_db) as scratch,
        tempfile.TemporaryDirectory(prefix="mkopo-callbacks-") as tmp_dir,
        app_sessions(scratch.url) as sessions,
    ):
        machine = machine_description(scratch.admin)
        tmp = Path(tmp_dir)
        generate_field_keys_file(tmp / "field-keys.json")
        watch = Stopwatch()
        accounts = seed_portfolio(scratch.libpq_url, sessions, process.CLOCK, args.loans)
        scratch.checkpoint()
        seed_s = watch.seconds()
        log(f"seeded {args.loans:,} borrowers with active loans in {seed_s:.1f} s")
        phases = {"http": http.http_phase(args, scratch, accounts, tmp)}
        phases["processing"] = processing_phase(args, scratch, sessions, accounts, tmp)
        phases["airtel_http"] = airtel.http_phase(args, scratch, tmp)
        phases["airtel_processing"] = airtel.processing_phase(args, scratch, sessions, tmp)
        return assemble(args, argv, phases, machine, seed_s)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = report.parser_for(BENCH, callbacks.__doc__)
    parser.add_argument("--seconds", type=int, default=DEFAULT_SECONDS, help="each load run")
    parser.add_argument("--loans", type=int, default=DEFAULT_LOANS)
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS)
    parser.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help="uvicorn worker processes"
    )
    parser.add_argument(
        "--processors", type=int, default=1, help="processes running process_pending at once"
    )
    parser.add_argument("--profile-callbacks", type=int, default=PROFILE_CALLBACKS)
    parser.add_argument(
        "--profile-output", type=Path, help="keep the processing's cProfile stats in this file"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 3600 or not 1 <= args.loans <= 10_000_000:
        parser.error("--seconds must be 1..3600 and --loans 1..10,000,000")
    if not 1 <= args.workers <= 8 or not 1 <= args.processors <= 8:
        parser.error("--workers and --processors must be 1..8")
    if not 1 <= args.connections <= 1000:
        parser.error("--connections must be 1..1000")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    hidden = ("http", "processing", "airtel", "environment")
    return report.run_timed(BENCH, args, lambda: measure(args, argv), hidden)


if __name__ == "__main__":
    sys.exit(main())
