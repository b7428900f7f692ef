"""``python -m bench.ledger``: the command line (see the package's docstring)."""

from __future__ import annotations

import argparse
import signal
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.accounting.tasks import MAX_BLOCKS_PER_RUN
from app.settings import Settings
from bench import ledger as package
from bench.common import report
from bench.common.databases import admin_url, app_sessions, scratch_database
from bench.common.machine import machine_description
from bench.common.measure import Stopwatch, peak_rss
from bench.ledger import log
from bench.ledger.cases import Bench, run_case_processes, run_case_threads
from bench.ledger.doc import AIMS, build_doc_section, build_table, print_report
from bench.ledger.pgbench import run_pgbench
from bench.ledger.sealer import SealerSetup, drain_backlog
from bench.ledger.summary import consistency, ratio, summarise, summarise_sealer
from bench.ledger.workers import WorkerSpec, open_accounts
from ledger.signing import generate_private_pem

BENCH = report.Benchmark("ledger", "ledger-bench", build_doc_section)
SEAL_INTERVAL_S = float(Settings.model_fields["ledger_seal_interval_s"].default)
"""The worker's default: its beat runs the sealing task this often."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = report.parser_for(BENCH, package.__doc__, keep_db=False)
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
    return parser.parse_args(argv)


@dataclass
class LedgerRun:
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    sealer: dict[str, Any] | None = None
    backlog: dict[str, Any] | None = None
    consistency: dict[str, Any] | None = None
    worker_rss_mb: list[float] = field(default_factory=list)


def run_ledger(args: argparse.Namespace, cases: list[str], nproc: int) -> LedgerRun:
    run_id = uuid.uuid4().hex[:8]
    out = LedgerRun()
    with (
        scratch_database("mkopo_bench_ledger", log) as scratch,
        app_sessions(scratch.url, database_pool_size=2) as sessions,
    ):
        bench, url = Bench(scratch, sessions), scratch.url
        watch = Stopwatch()
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
            run = runner(specs, args.seconds, bench, sealer)
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

    rss = peak_rss()
    p50 = {c: s["txn_p50_ms"] for c, s in summaries.items()}
    p99 = {c: s["txn_p99_ms"] for c, s in summaries.items()}
    if "batched" in summaries:
        p50["batched_per_entry"] = summaries["batched"].get("per_entry_p50_ms")
        p99["batched_per_entry"] = summaries["batched"].get("per_entry_p99_ms")
    sealer_errors = ledger.sealer["errors"] if ledger.sealer else 0
    shown = argv if argv is not None else sys.argv[1:]
    return {
        "benchmark": "ledger",
        "timestamp": report.utc_timestamp(),
        "command": BENCH.command(shown),
        "complete": set(summaries) == {"uniform+sealer", "uniform", "hot", "batched"},
        "pgbench_tps": base,
        "uniform_tps": eps("uniform"),
        "hot_tps": eps("hot"),
        "batched_tps": eps("batched"),
        "uniform_sealer_tps": eps("uniform+sealer"),
        "uniform_ratio": ratio(eps("uniform") or 0, base),
        "hot_ratio": ratio(eps("hot") or 0, base),
        "batched_ratio": ratio(eps("batched") or 0, base),
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


def _exit_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # so the scratch databases are dropped on the way out


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    args = parse_args(argv)
    if args.docs_only:
        report.rewrite_docs(BENCH, args.output)
        return 0
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    total = Stopwatch()
    machine = machine_description(admin_url())
    pgbench = run_pgbench(args.workers, args.pgbench_seconds)
    log(f"pgbench: {pgbench['tps']:.1f} tps")
    ledger = run_ledger(args, cases, machine["nproc"] or 1)
    data = assemble(
        args, argv, machine=machine, pgbench=pgbench, ledger=ledger, total_s=total.seconds()
    )
    table = build_table(data) if data["complete"] else ""
    print_report(data, table)
    report.publish(BENCH, data, args.output, docs=data["complete"] and not args.no_docs)
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
