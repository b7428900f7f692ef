"""``python -m bench.rescore``: the command line (see the package's docstring)."""

from __future__ import annotations

import sys

from bench import rescore
from bench.common import report
from bench.common.databases import admin_url
from bench.common.machine import machine_description
from bench.rescore.doc import build_doc_section
from bench.rescore.run import run

BENCH = report.Benchmark("rescore", "bench-rescore", build_doc_section)
DEFAULT_BORROWERS = 2_000


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = report.parser_for(BENCH, rescore.__doc__)
    parser.add_argument("--borrowers", type=int, default=DEFAULT_BORROWERS)
    args = parser.parse_args(argv)
    if args.docs_only:
        report.rewrite_docs(BENCH, args.output)
        return 0
    machine = machine_description(admin_url())
    data = {
        "benchmark": "rescore",
        "timestamp": report.utc_timestamp(),
        "command": BENCH.command(argv),
        **run(args.borrowers, args.keep_db),
        "machine": machine,
    }
    return report.conclude(BENCH, args, data, hidden=("machine",))


if __name__ == "__main__":
    sys.exit(main())
