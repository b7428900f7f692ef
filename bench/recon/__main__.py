"""``python -m bench.recon``: the command line (see the package's docstring)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from app.reconciliation.runs import MATCH_CHUNK
from bench import recon
from bench.common import report
from bench.common.databases import admin_url
from bench.common.machine import machine_description
from bench.recon.doc import (
    AIM_LINES_PER_S,
    AIM_RSS_MB,
    LINEAR_TOLERANCE,
    build_doc_section,
    build_table,
)
from bench.recon.run import run_size

BENCH = report.Benchmark("recon", "recon-bench", build_doc_section)
DEFAULT_SIZES = "100000,1000000"


def assemble(
    runs: dict[str, dict[str, Any]], chunk: int, machine: dict[str, Any], argv: list[str]
) -> dict[str, Any]:
    return {
        "benchmark": "recon",
        "timestamp": report.utc_timestamp(),
        "command": BENCH.command(argv),
        **report.at_aim_sizes(runs, "seconds", "lines_per_s"),
        "peak_rss_mb": report.peak_rss_mb(runs),
        "growth_ratio": report.growth(runs, "seconds"),
        "match_chunk": chunk,
        "aims": {
            "lines_per_s": AIM_LINES_PER_S,
            "peak_rss_mb": AIM_RSS_MB,
            "growth_ratio_max": round(10 * LINEAR_TOLERANCE, 1),
        },
        "verified": all(r["verified"] for r in runs.values()),
        "note": (
            "The ledger is seeded in bulk SQL with the day's N movements (80% paybill "
            "repayments, 20% B2C payouts with their payouts rows and posted holds), triggers "
            "off; the timed part is the whole reconciliation of the statement file as the CLI "
            "runs it (import + snapshot + matching + closing). peak_rss_mb is the timed "
            "part's peak VmRSS, sampled every 50 ms. copy_baseline is a plain COPY of the "
            "same rows into a table of text columns, measured in the same run."
        ),
        "runs": runs,
        "machine": machine,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = report.parser_for(BENCH, recon.__doc__)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="statement lines, comma-separated")
    parser.add_argument("--chunk", type=int, default=MATCH_CHUNK, help="lines per matching step")
    args = parser.parse_args(argv)

    def measure() -> dict[str, Any]:
        machine = machine_description(admin_url())
        with tempfile.TemporaryDirectory(prefix="mkopo-recon-bench-") as workdir:
            runs = {
                report.size_label(size): run_size(size, Path(workdir), args.keep_db, args.chunk)
                for size in report.parse_sizes(args.sizes)
            }
        data = assemble(runs, args.chunk, machine, argv)
        print(build_table(data))
        return data

    return report.run_timed(BENCH, args, measure, ("runs", "machine"))


if __name__ == "__main__":
    sys.exit(main())
