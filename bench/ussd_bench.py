"""USSD hops per second and their latency on PostgreSQL, beside a trivial endpoint measured in
the same run: 200 concurrent sessions walking the borrow journey.

Run: ``.venv/bin/python -m bench.ussd_bench [--seconds 10] [--sessions 200] [--workers 2]``

On a fresh database of the PostgreSQL server at ``MKOPO_BENCH_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``; that database is only used to create and
drop scratch databases):

1. migrate (every head), open the chart, fund the float and bulk-insert borrowers, each
   opted in with a KES 5,000 limit and a PIN (``bench.ussd_seed``); write a field-keys file;
2. start the API (``mkopo serve``, uvicorn, ``--workers``) on a free loopback port, its task
   queue on Celery's in-memory broker (the worker is not part of this measurement: a hop
   only hands the payout over); warm it up;
3. the baseline: ``GET /healthz`` closed-loop on ``--sessions`` connections; then the
   journey closed-loop (``bench.ussd_driver``): each of ``--sessions`` handsets walks
   sessions back to back, a new borrower each time, five hops per session (menu, Borrow,
   amount, confirm the disclosure, PIN, which checks the PIN and books the loan): capacity,
   and latency at saturation; then only the four hops before the PIN (no KDF, no booking),
   closed-loop: what a menu hop costs; then the whole journey paced, each handset pausing
   after every answer as a reader would, offering about half the capacity: latency below
   saturation;
4. stop the API; verify: every finished journey booked exactly one loan (one payout each,
   as many as the driver saw), no request failed, the books balance;
5. write ``bench/results/ussd.json`` and the ``ussd`` section of ``docs/performance.md``
   (``--docs-only`` rewrites the section from the JSON).

Timings are figures to read, never pass/fail; the exit status is 1 only when the run is
unsound (failed requests, unexpected answers, counts or books that disagree).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from alembic import command

from app.borrowers.service import prepare_pin
from app.clock import system_clock
from app.db.engine import Database, make_database
from app.db.migrations_state import alembic_config
from app.db.session import Sessions
from app.security.fields import BlindIndex, generate_field_keys_file, load_field_keys
from app.security.pins import verify_pin
from app.settings import Settings
from bench import callbacks_load as server_control
from bench import common
from bench.callbacks_cpu import CpuMeter
from bench.ussd_driver import (
    BROWSE,
    JOURNEY,
    PIN,
    Load,
    run_baseline,
    run_journeys,
    run_paced,
)
from bench.ussd_report import build_doc_section
from bench.ussd_seed import seed_borrowers
from ledger import Ledger

OUTPUT = common.RESULTS_DIR / "ussd.json"
DOC_SECTION = "ussd"
COMMAND = ".venv/bin/python -m bench.ussd_bench"
DEFAULT_SECONDS = 10
DEFAULT_SESSIONS = 200
DEFAULT_WORKERS = 2
DEFAULT_POOL_SIZE = 20
DEFAULT_BORROWERS = 20_000
WARMUP_SECONDS = 3
PACED_SHARE = 0.5
"""The paced run offers this share of the closed-loop capacity (hops/s)."""
PACED_THINK_S = 1.0
"""Seconds a paced handset waits before each input (people take longer; the latency at a
given offered load hardly depends on it, the run's length does)."""
AIMS = {"hops_per_s": 1000.0, "p99_ms": 100.0}


def log(message: str) -> None:
    print(f"[ussd-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def kdf_ms() -> float:
    """One PIN check's scrypt, in this process (median of 10)."""
    stored = prepare_pin(PIN)
    times = []
    for _ in range(10):
        started = time.perf_counter()
        verify_pin(PIN, stored)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def measured(label: str, server: server_control.Server, run: Any) -> dict[str, Any]:
    meter = CpuMeter()
    result: dict[str, Any] = run()
    result["cpu"] = cpu = meter.result({"api": server.pids(), "driver": {os.getpid()}})
    hops = result["hops"] or 1
    result["cpu_ms_per_hop"] = {
        group: round(cpu[f"{group}_cpu_s"] * 1000 / hops, 2)
        for group in ("api", "postgres", "driver")
    }
    log(
        f"  {label}: {result['per_s']:,.0f}/s, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms, machine {cpu['machine_busy_pct']}% busy"
    )
    return result


def http_phase(args: argparse.Namespace, url: str, keys: Path, phones: Iterator[str]) -> Any:
    env = {
        "MKOPO_DATABASE_URL": url,
        "MKOPO_FIELD_KEYS_PATH": str(keys),
        "MKOPO_BROKER_URL": "memory://",
        "MKOPO_DATABASE_POOL_SIZE": str(args.pool_size),
        "MKOPO_ENVIRONMENT": "bench",
    }
    log(f"starting the API: mkopo serve --workers {args.workers}")
    server = server_control.start_server(env, args.workers, keys.parent / "server.log")
    host, port = "127.0.0.1", int(server.base_url.rsplit(":", 1)[1])

    def load(seconds: float) -> Load:
        return Load(host, port, args.sessions, seconds)

    try:
        log(f"warm-up: {WARMUP_SECONDS} s of each")
        run_baseline(load(WARMUP_SECONDS))
        warmup = run_journeys(load(WARMUP_SECONDS), phones, "W")
        log(f"baseline: GET /healthz for {args.seconds} s, {args.sessions} connections")
        baseline = measured("healthz", server, lambda: run_baseline(load(args.seconds)))
        log(f"journeys closed-loop: {args.sessions} sessions for {args.seconds} s")
        closed = measured("hops", server, lambda: run_journeys(load(args.seconds), phones, "C"))
        log(f"browsing closed-loop (the hops before the PIN): {args.seconds} s")
        browse_load = Load(host, port, args.sessions, args.seconds, hops=BROWSE)
        browse = measured("browse hops", server, lambda: run_journeys(browse_load, phones, "B"))
        offered = max(closed["per_s"] * PACED_SHARE, 1.0)
        rate = offered / len(JOURNEY)
        log(f"journeys paced: {rate:.1f} sessions/s ({offered:.0f} hops/s offered)")
        paced = measured(
            "paced hops",
            server,
            lambda: run_paced(load(args.seconds), phones, "P", rate, PACED_THINK_S),
        )
        paced.update(offered_hops_per_s=round(offered, 1), think_s=PACED_THINK_S)
    finally:
        code = server_control.stop_server(server)
        log(f"API stopped (exit status {code})")
    return {
        "baseline": baseline,
        "closed": closed,
        "browse": browse,
        "paced": paced,
        "warmup": warmup,
        "server_exit_status": code,
        "server_log_tail": server.log_tail(10) if code not in (0, -15) else None,
    }


def verify(libpq: str, sessions: Sessions, http: dict[str, Any]) -> list[str]:
    failures = []
    runs = [http["warmup"], http["closed"], http["paced"]]
    for label in ("closed", "browse", "paced", "baseline"):
        run = http[label]
        if run["errors"] or run["unexpected_answers"]:
            failures.append(f"{label}: {run['errors']} errors, {run['unexpected_answers']}")
    done = sum(run["journeys_done"] for run in runs)
    with psycopg.connect(libpq, autocommit=True) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT borrower_id) FROM payouts").fetchone()
    payouts, borrowers = (int(row[0]), int(row[1])) if row else (0, 0)
    if payouts != done or borrowers != done:
        failures.append(f"{done} journeys finished but {payouts} payouts for {borrowers} people")
    with sessions.reader() as session:
        balance = Ledger(session, system_clock).trial_balance().net_by_currency
    if balance != {"KES": 0}:
        failures.append(f"the trial balance is {balance}")
    return failures


def assemble(
    args: argparse.Namespace, argv: list[str], http: dict[str, Any], machine: dict[str, Any]
) -> dict[str, Any]:
    baseline, closed, paced = http["baseline"], http["closed"], http["paced"]
    return {
        "benchmark": "ussd",
        "timestamp": common.utc_timestamp(),
        "command": " ".join([COMMAND, *argv]),
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
        "kdf_ms": kdf_ms(),
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
            "warmup_seconds": WARMUP_SECONDS,
        },
        "http": http,
        "environment": machine,
    }


def run(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    admin = common.admin_url()
    machine = common.machine_description(admin)
    name = common.scratch_name("mkopo_bench_ussd")
    libpq = admin.rsplit("/", 1)[0] + f"/{name}"
    log(f"database {name}")
    common.create_database(admin, name)
    database: Database | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="mkopo-ussd-") as tmp_dir:
            keys_path = Path(tmp_dir) / "field-keys.json"
            generate_field_keys_file(keys_path)
            url = common.sqlalchemy_url(admin, name)
            command.upgrade(alembic_config(url), "heads")
            database = make_database(Settings(database_url=url))
            sessions = Sessions(database)
            watch = common.Stopwatch()
            index = BlindIndex(load_field_keys(keys_path).blind_index_key)
            phones = seed_borrowers(
                libpq, sessions, system_clock, index, args.borrowers, prepare_pin(PIN)
            )
            log(f"seeded {args.borrowers:,} borrowers in {watch.seconds():.1f} s")
            http = http_phase(args, url, keys_path, iter(phones))
            data = assemble(args, argv, http, machine)
            data["failures"] = verify(libpq, sessions, http)
            data["verified"] = not data["failures"]
            return data
    finally:
        if database is not None:
            database.dispose()
        if args.keep_db:
            log(f"kept database {name}")
        else:
            common.drop_database(admin, name)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=DEFAULT_SECONDS, help="each run")
    parser.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="uvicorn workers")
    parser.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE)
    parser.add_argument("--borrowers", type=int, default=DEFAULT_BORROWERS)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--no-docs", action="store_true", help="do not touch performance.md")
    parser.add_argument("--docs-only", action="store_true", help="rewrite the docs from JSON")
    parser.add_argument("--keep-db", action="store_true", help="keep the scratch database")
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
    if args.docs_only:
        data = json.loads(args.output.read_text())
        common.replace_doc_section(DOC_SECTION, build_doc_section(data))
        return 0
    started = time.perf_counter()
    data = run(args, argv)
    data["total_seconds"] = round(time.perf_counter() - started, 1)
    summary = {k: v for k, v in data.items() if k not in ("http", "environment")}
    print(json.dumps(summary, indent=2))
    for failure in data["failures"]:
        log(f"FAILED: {failure}")
    common.write_json(args.output, data)
    log(f"wrote {args.output}")
    if not args.no_docs:
        common.replace_doc_section(DOC_SECTION, build_doc_section(data))
        log(f"updated the {DOC_SECTION} section of {common.PERFORMANCE_DOC}")
    return 0 if data["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
