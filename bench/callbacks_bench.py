"""M-Pesa C2B confirmations end to end on PostgreSQL: accepted into the inbox over HTTP, then
processed into posted, allocated repayments; against a trivial endpoint of the same server.

Run: ``.venv/bin/python -m bench.callbacks_bench [--seconds 30] [--loans 20000]
[--connections 16] [--workers 2] [--processors 1]``

On a fresh database of the PostgreSQL server at ``MKOPO_BENCH_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``; that database is only used to create and
drop scratch databases):

1. migrate, open the chart, put capital in the float and bulk-insert N borrowers, each with
   an ACTIVE Personal Loan (``bench.callbacks_seed``); write a field-keys file;
2. start the API (``mkopo serve``, uvicorn, ``--workers``) on a free loopback port, pointed
   at the database, the keys and a random callback token; warm it up with wrk;
3. the baseline: wrk on ``GET /healthz`` (no database work); then wrk POSTing C2B
   confirmations to ``/callbacks/mpesa/{token}/c2b/confirmation``, each with a unique
   TransID, KES 10, BillRefNumber cycling over the loans' account numbers. Accepted = an
   HTTP 200 carrying Daraja's acknowledgement; the inbox must hold one row per accepted
   request (plus at most one per connection: those in flight when wrk stopped);
4. stop the API; time the worker's ``process_pending`` over everything stored
   (``bench.callbacks_process``); then store more confirmations directly and process them
   under cProfile for the "where the time goes" figures; verify every confirmation became
   one repayment and one ledger entry, none failed, the trial balance is zero and the loans
   agree with the ledger;
5. write ``bench/results/callbacks.json`` and the ``callbacks`` section of
   ``docs/performance.md`` (``--docs-only`` rewrites the section from the JSON).

Timings are figures to read, never pass/fail; the exit status is 1 only when the run is
unsound (failed requests, counts that disagree, books that do not balance).
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from app.clock import EAT
from app.db.engine import Database, make_database
from app.db.session import Sessions
from app.mpesa.processing import PROCESS_BUDGET_S
from app.security.fields import generate_field_keys_file
from app.settings import Settings
from bench import callbacks_load as load
from bench import callbacks_process as work
from bench import common
from bench.callbacks_cpu import CpuMeter
from bench.callbacks_report import build_doc_section
from bench.callbacks_seed import Portfolio, seed_portfolio

OUTPUT = common.RESULTS_DIR / "callbacks.json"
DOC_SECTION = "callbacks"
COMMAND = ".venv/bin/python -m bench.callbacks_bench"
DEFAULT_SECONDS = 30
DEFAULT_LOANS = 20_000
DEFAULT_CONNECTIONS = 16
"""Within the API's connection pools (2 workers x ``database_pool_size`` 10): see the docs."""
DEFAULT_WORKERS = 2
"""Measured better than 1 on the 2-core machine (see the docs section)."""
WARMUP_SECONDS = 3
PROFILE_CALLBACKS = 2_000
AMOUNT_KES = 10
SHORTCODE = "600000"
AIMS = {"accepted_rps": 3000.0, "accepted_p99_ms": 50.0, "processed_per_s": 1000.0}


def log(message: str) -> None:
    print(f"[callbacks-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def beat_interval_s() -> float:
    """The schedule of the task that runs ``process_pending``, from the worker's own config."""
    from app.worker import create_celery  # noqa: PLC0415 (imports Celery; only needed here)

    schedule = create_celery(Settings()).conf.beat_schedule["process-callbacks"]["schedule"]
    return float(schedule)


def confirmation(receipt: str, account: str, trans_time: str) -> dict[str, str]:
    """A C2B confirmation body as Daraja sends it (v2, masked MSISDN), like the Lua script's."""
    return {
        "TransactionType": "Pay Bill",
        "TransID": receipt,
        "TransTime": trans_time,
        "TransAmount": f"{AMOUNT_KES}.00",
        "BusinessShortCode": SHORTCODE,
        "BillRefNumber": account,
        "InvoiceNumber": "",
        "OrgAccountBalance": "",
        "ThirdPartyTransID": "",
        "MSISDN": "2547 ***** 126",
        "FirstName": "BENCH",
        "MiddleName": "",
        "LastName": "",
    }


def inbox_rows(libpq_url: str, letter: str) -> int:
    """Stored confirmations of one wrk run (their TransIDs start with its letter)."""
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM mpesa_callbacks"
            " WHERE kind = 'c2b/confirmation' AND natural_key LIKE %s",
            (f"{letter}%",),
        ).fetchone()
    return int(row[0]) if row else 0


# -- the HTTP phase ---------------------------------------------------------------------------


def sessions_opened(admin: str, name: str) -> int:
    """Connections ever opened to the database (PostgreSQL 14+; 0 when unknown)."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (name,)
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def measured(admin: str, name: str, server: load.Server, run: load.WrkRun) -> dict[str, Any]:
    """One wrk run with the CPU by group of processes and the connections PostgreSQL saw."""
    opened = sessions_opened(admin, name)
    meter = CpuMeter()
    result = load.run_wrk(run)
    result["cpu"] = meter.result({"api": server.pids()}, result["wrk_cpu_s"])
    result["db_connections_opened"] = sessions_opened(admin, name) - opened
    return result


def http_phase(
    args: argparse.Namespace, admin: str, name: str, libpq: str, portfolio: Portfolio, tmp: Path
) -> dict[str, Any]:
    token = secrets.token_urlsafe(24)
    keys_path = tmp / "field-keys.json"
    env = {
        "MKOPO_DATABASE_URL": common.sqlalchemy_url(admin, name),
        "MKOPO_FIELD_KEYS_PATH": str(keys_path),
        "MKOPO_MPESA_CALLBACK_TOKEN": token,
        "MKOPO_ENVIRONMENT": "bench",
    }
    accounts_file = tmp / "accounts.txt"
    accounts_file.write_text("\n".join(portfolio.account_numbers) + "\n")
    scripts = load.write_scripts(tmp)
    trans_time = datetime.now(UTC).astimezone(EAT).strftime("%Y%m%d%H%M%S")

    def c2b_run(letter: str, seconds: int) -> load.WrkRun:
        return load.WrkRun(
            f"{server.base_url}/callbacks/mpesa/{token}/c2b/confirmation",
            scripts["c2b"],
            seconds,
            args.connections,
            load.WRK_THREADS,
            (
                str(accounts_file),
                letter,
                trans_time,
                f"{AMOUNT_KES}.00",
                SHORTCODE,
                str(load.WRK_THREADS),
            ),
        )

    def baseline_run(seconds: int) -> load.WrkRun:
        return load.WrkRun(
            f"{server.base_url}/healthz",
            scripts["baseline"],
            seconds,
            args.connections,
            load.WRK_THREADS,
        )

    log(f"starting the API: mkopo serve --workers {args.workers}")
    server = load.start_server(env, args.workers, tmp / "server.log")
    try:
        log(f"warm-up: {WARMUP_SECONDS} s of each")
        load.run_wrk(baseline_run(WARMUP_SECONDS))
        warmup = load.run_wrk(c2b_run("W", WARMUP_SECONDS))
        log(f"baseline: wrk GET /healthz for {args.seconds} s, {args.connections} connections")
        baseline = measured(admin, name, server, baseline_run(args.seconds))
        log(f"  {baseline['rps']:,.0f} requests/s, p99 {baseline['latency_ms']['p99']} ms")
        log(f"C2B confirmations: wrk POST for {args.seconds} s")
        accepted = measured(admin, name, server, c2b_run("C", args.seconds))
        log(
            f"  {accepted['acks'] / accepted['seconds']:,.0f} accepted/s, "
            f"p99 {accepted['latency_ms']['p99']} ms"
        )
    finally:
        code = load.stop_server(server)
        log(f"API stopped (exit status {code})")
    accepted["inbox_rows"] = inbox_rows(libpq, "C")
    warmup["inbox_rows"] = inbox_rows(libpq, "W")
    for run in (warmup, baseline, accepted):  # the token is random, but a secret all the same
        run["command"] = run["command"].replace(token, "{token}")
    return {
        "baseline": baseline,
        "accepted": accepted,
        "warmup": warmup,
        "server_exit_status": code,
        "server_log_tail": server.log_tail(10) if code not in (0, -signal.SIGTERM) else None,
    }


def http_failures(http: dict[str, Any], connections: int) -> list[str]:
    failures = []
    for label in ("baseline", "accepted"):
        run = http[label]
        errors = {k: v for k, v in run["errors"].items() if v}
        if errors:
            failures.append(f"{label}: wrk counted errors {errors}")
    accepted = http["accepted"]
    if accepted["other_answers"]:
        failures.append(f"{accepted['other_answers']} C2B answers were not a 200 acknowledgement")
    for label in ("accepted", "warmup"):
        run = http[label]
        extra = run["inbox_rows"] - run["acks"]
        if not 0 <= extra <= connections:
            failures.append(
                f"{label}: {run['inbox_rows']} inbox rows for {run['acks']} acknowledgements "
                f"(at most {connections} more expected: those in flight when wrk stopped)"
            )
    return failures


# -- the processing phase -------------------------------------------------------------------


def processing_phase(
    args: argparse.Namespace,
    admin: str,
    name: str,
    libpq: str,
    sessions: Sessions,
    portfolio: Portfolio,
    tmp: Path,
) -> dict[str, Any]:
    keys_path = tmp / "field-keys.json"
    stored = work.books(libpq, sessions)["callbacks_by_status"].get("received", 0)
    common.admin_execute(admin, "CHECKPOINT")
    log(f"processing {stored:,} stored confirmations ({args.processors} process(es))")
    spec = work.DrainSpec(common.sqlalchemy_url(admin, name), keys_path)
    timed = work.timed_drain(admin, name, spec, sessions, args.processors)
    timed["callbacks"] = stored
    timed["processed_per_s"] = round(stored / timed["seconds"], 1) if timed["seconds"] else None
    log(f"  {stored:,} in {timed['seconds']} s: {timed['processed_per_s']:,.0f}/s")
    after_timed = work.books(libpq, sessions)
    failures = work.failures_of(after_timed, stored, AMOUNT_KES * 100)
    profile: dict[str, Any] | None = None
    if args.profile_callbacks:
        trans_time = datetime.now(UTC).astimezone(EAT).strftime("%Y%m%d%H%M%S")
        numbers = portfolio.account_numbers
        bodies = [
            confirmation(f"P{i:09d}", numbers[(i * 7) % len(numbers)], trans_time)
            for i in range(args.profile_callbacks)
        ]
        work.store_confirmations(sessions, bodies)
        log(f"profiling the processing of {len(bodies):,} more confirmations (cProfile)")
        stats_path = args.profile_output or tmp / "processing.prof"
        profile = work.profiled_drain(sessions, keys_path, stats_path)
        profile["stats_file"] = str(args.profile_output) if args.profile_output else None
        stored += len(bodies)
    final = work.books(libpq, sessions)
    failures += work.failures_of(final, stored, AMOUNT_KES * 100)
    return {
        "timed": timed,
        "profile": profile,
        "books": final,
        "failures": sorted(set(failures)),
    }


# -- output ---------------------------------------------------------------------------------


def assemble(
    args: argparse.Namespace,
    argv: list[str],
    http: dict[str, Any],
    processing: dict[str, Any],
    machine: dict[str, Any],
    seed_s: float,
) -> dict[str, Any]:
    baseline, accepted = http["baseline"], http["accepted"]
    accepted_rps = round(accepted["acks"] / accepted["seconds"], 1)
    processed = processing["timed"]["processed_per_s"]
    failures = http_failures(http, args.connections) + processing["failures"]
    interval = beat_interval_s()
    figures = {
        "baseline_rps": baseline["rps"],
        "accepted_rps": accepted_rps,
        "accepted_p50_ms": accepted["latency_ms"]["p50"],
        "accepted_p99_ms": accepted["latency_ms"]["p99"],
        "processed_per_s": processed,
        "ratio": round(accepted_rps / baseline["rps"], 3) if baseline["rps"] else None,
    }
    return {
        "benchmark": "callbacks",
        "timestamp": common.utc_timestamp(),
        "command": " ".join([COMMAND, *argv]),
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
            "wrk_threads": load.WRK_THREADS,
            "workers": args.workers,
            "loans": args.loans,
            "processors": args.processors,
            "amount_kes": AMOUNT_KES,
            "warmup_seconds": WARMUP_SECONDS,
            "profile_callbacks": args.profile_callbacks,
        },
        "seed_seconds": round(seed_s, 1),
        "http": http,
        "processing": processing,
        "environment": machine,
    }


def write_outputs(data: dict[str, Any], output: Path, docs: bool) -> None:
    common.write_json(output, data)
    log(f"wrote {output}")
    if docs:
        common.replace_doc_section(DOC_SECTION, build_doc_section(data))
        log(f"updated the {DOC_SECTION} section of {common.PERFORMANCE_DOC}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=DEFAULT_SECONDS, help="each wrk run")
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
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--no-docs", action="store_true", help="do not touch performance.md")
    parser.add_argument("--docs-only", action="store_true", help="rewrite the docs from JSON")
    parser.add_argument("--keep-db", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 3600 or not 1 <= args.loans <= 10_000_000:
        parser.error("--seconds must be 1..3600 and --loans 1..10,000,000")
    if not 1 <= args.workers <= 8 or not 1 <= args.processors <= 8:
        parser.error("--workers and --processors must be 1..8")
    if not load.WRK_THREADS <= args.connections <= 1000:
        parser.error(f"--connections must be {load.WRK_THREADS}..1000")
    return args


def run(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    admin = common.admin_url()
    machine = common.machine_description(admin)
    machine["wrk"] = load.wrk_version()
    name = common.scratch_name("mkopo_bench_callbacks")
    libpq = admin.rsplit("/", 1)[0] + f"/{name}"
    log(f"database {name}")
    common.create_database(admin, name)
    database: Database | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="mkopo-callbacks-") as tmp_dir:
            tmp = Path(tmp_dir)
            generate_field_keys_file(tmp / "field-keys.json")
            url = common.sqlalchemy_url(admin, name)
            watch = common.Stopwatch()
            common.migrate(url)
            database = make_database(Settings(database_url=url))
            sessions = Sessions(database)
            portfolio = seed_portfolio(libpq, sessions, work.CLOCK, args.loans)
            common.admin_execute(admin, "CHECKPOINT")
            seed_s = watch.seconds()
            log(f"seeded {args.loans:,} borrowers with active loans in {seed_s:.1f} s")
            http = http_phase(args, admin, name, libpq, portfolio, tmp)
            processing = processing_phase(args, admin, name, libpq, sessions, portfolio, tmp)
            return assemble(args, argv, http, processing, machine, seed_s)
    finally:
        if database is not None:
            database.dispose()
        if args.keep_db:
            log(f"kept database {name}")
        else:
            common.drop_database(admin, name)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.docs_only:
        data = json.loads(args.output.read_text())
        common.replace_doc_section(DOC_SECTION, build_doc_section(data))
        return 0
    load.require_wrk()
    started = time.perf_counter()
    data = run(args, argv)
    data["total_seconds"] = round(time.perf_counter() - started, 1)
    summary = {k: v for k, v in data.items() if k not in ("http", "processing", "environment")}
    print(json.dumps(summary, indent=2))
    for failure in data["failures"]:
        log(f"FAILED: {failure}")
    write_outputs(data, args.output, docs=not args.no_docs)
    return 0 if data["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
