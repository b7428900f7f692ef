"""``python -m bench.ussd``: the command line (see the package's docstring)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.security.fields import generate_field_keys_file, load_field_crypto
from bench import ussd
from bench.common import report
from bench.common.databases import app_sessions, scratch_database
from bench.common.machine import machine_description
from bench.common.measure import Stopwatch
from bench.ussd import run
from bench.ussd.doc import build_doc_section
from bench.ussd.driver import JOURNEY

BENCH = report.Benchmark("ussd", "ussd-bench", build_doc_section)
DEFAULT_SECONDS = 10
DEFAULT_SESSIONS = 200
DEFAULT_WORKERS = 2
DEFAULT_POOL_SIZE = 20
DEFAULT_BORROWERS = 20_000
AIMS = {"hops_per_s": 1000.0, "p99_ms": 100.0}


def assemble(
    args: argparse.Namespace, argv: list[str], http: dict[str, Any], machine: dict[str, Any]
) -> dict[str, Any]:
    baseline, closed, paced = http["baseline"], http["closed"], http["paced"]
    return {
        "benchmark": "ussd",
        "timestamp": report.utc_timestamp(),
        "command": BENCH.command(argv),
        "baseline_rps": baseline["per_s"],
        "hops_per_s": closed["per_s"],
        "p50_ms": closed["p50_ms"],
        "p99_ms": closed["p99_ms"],
        "ratio": round(closed["per_s"] / baseline["per_s"], 3) if baseline["per_s"] else None,
        "browse_hops_per_s": http["browse"]["per_s"],
        "browse_p99_ms": http["browse"]["p99_ms"],
        "paced_hops_per_s": paced["per_s"],
        "paced_p50_ms": paced["p50_ms"],
        "paced_p99_ms": paced["p99_ms"],
        "kdf_ms": run.kdf_ms(),
        "aims": AIMS,
        "aims_met": {
            "hops_per_s": (closed["per_s"] or 0) >= AIMS["hops_per_s"],
            "p99_ms": (closed["p99_ms"] or 1e9) < AIMS["p99_ms"],
        },
        "journey": [label for label, _text, _expected in JOURNEY],
        "config": {
            "seconds": args.seconds,
            "sessions": args.sessions,
            "workers": args.workers,
            "pool_size": args.pool_size,
            "borrowers": args.borrowers,
            "warmup_seconds": run.WARMUP_SECONDS,
        },
        "http": http,
        "environment": machine,
    }


def measure(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    with (
        scratch_database("mkopo_bench_ussd", run.log, keep=args.keep_db) as scratch,
        tempfile.TemporaryDirectory(prefix="mkopo-ussd-") as tmp,
        app_sessions(scratch.url) as sessions,
    ):
        machine = machine_description(scratch.admin)
        keys_path = Path(tmp) / "field-keys.json"
        generate_field_keys_file(keys_path)
        watch = Stopwatch()
        crypto = load_field_crypto(keys_path)
        phones = run.seed_borrowers(scratch.libpq_url, sessions, crypto, args.borrowers)
        run.log(f"seeded {args.borrowers:,} borrowers in {watch.seconds():.1f} s")
        http = run.http_phase(args, scratch.url, keys_path, iter(phones))
        data = assemble(args, argv, http, machine)
        data["failures"] = run.verify(scratch.libpq_url, sessions, http)
        data["verified"] = not data["failures"]
        return data


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = report.parser_for(BENCH, ussd.__doc__)
    parser.add_argument("--seconds", type=int, default=DEFAULT_SECONDS, help="each run")
    parser.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="uvicorn workers")
    parser.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE)
    parser.add_argument("--borrowers", type=int, default=DEFAULT_BORROWERS)
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 600 or not 1 <= args.sessions <= 1000:
        parser.error("--seconds must be 1..600 and --sessions 1..1000")
    if not 1 <= args.workers <= 8 or not 1 <= args.pool_size <= 100:
        parser.error("--workers must be 1..8 and --pool-size 1..100")
    if not 1_000 <= args.borrowers <= 1_000_000:
        parser.error("--borrowers must be 1,000..1,000,000")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    return report.run_timed(BENCH, args, lambda: measure(args, argv), ("http", "environment"))


if __name__ == "__main__":
    sys.exit(main())
