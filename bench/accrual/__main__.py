"""``python -m bench.accrual``: the command line (see the package's docstring)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from app.lending import accrual
from bench import accrual as package
from bench.accrual.doc import (
    AIM_RSS_MB,
    AIM_SECONDS_1M,
    LINEAR_TOLERANCE,
    build_doc_section,
    build_table,
)
from bench.accrual.portfolio import log
from bench.accrual.run import run_size
from bench.common import report
from bench.common.databases import admin_url
from bench.common.machine import machine_description

BENCH = report.Benchmark("accrual", "accrual-bench", build_doc_section)
DEFAULT_SIZES = "100000,1000000"


def assemble(
    runs: dict[str, dict[str, Any]], batch_size: int, machine: dict[str, Any], argv: list[str]
) -> dict[str, Any]:
    return {
        "benchmark": "accrual",
        "timestamp": report.utc_timestamp(),
        "command": BENCH.command(argv),
        **report.at_aim_sizes(runs, "seconds", "loans_per_s"),
        "peak_rss_mb": report.peak_rss_mb(runs),
        "growth_ratio": report.growth(runs, "seconds"),
        "cpu_growth_ratio": report.growth(runs, "cpu_seconds"),
        **report.at_aim_sizes(runs, "rerun_seconds"),
        "batch_size": batch_size,
        "aims": {
            "seconds_1m": AIM_SECONDS_1M,
            "peak_rss_mb": AIM_RSS_MB,
            "growth_ratio_max": round(10 * LINEAR_TOLERANCE, 1),
        },
        "verified": all(r["verified"] for r in runs.values()),
        "note": (
            "Loans are inserted directly (no origination); the ledger gets one opening entry "
            "with the portfolio's principal, interest and penalty receivable instead of one "
            "disbursement entry per loan, so the control accounts agree with the subledger but "
            "the ledger holds few entries. peak_rss_mb is the accrual call's peak VmRSS "
            "(sampled every 50 ms); rss_mb.process_peak_getrusage includes loan creation."
        ),
        "runs": runs,
        "machine": machine,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = report.parser_for(BENCH, package.__doc__)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="loan counts, comma-separated")
    parser.add_argument("--batch-size", type=int, default=accrual.ACCRUAL_BATCH)
    parser.add_argument(
        "--loans-fillfactor",
        type=int,
        help="experiment: ALTER TABLE loans SET (fillfactor = N) before loading (schema: 100)",
    )
    parser.add_argument(
        "--profile", type=Path, help="pyinstrument text report of the timed call (one size)"
    )
    args = parser.parse_args(argv)
    sizes = report.parse_sizes(args.sizes)
    if args.profile and len(sizes) != 1:
        raise SystemExit("--profile takes one size")

    def measure() -> dict[str, Any]:
        machine = machine_description(admin_url())
        runs = {
            report.size_label(size): run_size(
                size, args.batch_size, args.profile, args.keep_db, args.loans_fillfactor
            )
            for size in sizes
        }
        data = assemble(runs, args.batch_size, machine, argv)
        print(build_table(data))
        if args.profile:
            log("profiled run: timings inflated, results not written")
        return data

    hidden = ("runs", "machine")
    return report.run_timed(BENCH, args, measure, hidden, write=not args.profile)


if __name__ == "__main__":
    sys.exit(main())
