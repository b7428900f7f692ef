"""One size of the reconciliation benchmark: the ledger and the statement, the COPY
baseline, the timed reconciliation with its phases, CPU and memory, the checks and the
re-run that must change nothing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select, text

from app.accounting.chart import Acct, open_chart
from app.clock import system_clock
from app.db.session import Sessions
from app.reconciliation.exceptions.models import ReconException
from app.reconciliation.models import Run, StatementLine
from app.reconciliation.runs import RunPace, execute_run, start_statement_run
from bench.common.databases import Scratch, app_sessions, scratch_database
from bench.common.measure import CpuMeter, RssSampler, Stopwatch, job_figures
from bench.common.report import logger
from bench.common.seed import post_capital
from bench.recon import seed as recon_seed
from ledger import Ledger

CLOCK = system_clock
COUNTED = ("recon_statement_lines", "recon_results", "recon_exceptions", "ledger_entries")

log = logger("recon-bench")


@dataclass
class Prepared:
    scratch: Scratch
    sessions: Sessions
    statement: Path
    size: int
    opening_minor: int
    closing_minor: int
    seed_s: float
    file_s: float
    file_mb: float


def prepare(scratch: Scratch, sessions: Sessions, size: int, workdir: Path) -> Prepared:
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, CLOCK)
        accounts = open_chart(ledger)
        capital_at = recon_seed.DAY_START - timedelta(days=1)
        post_capital(ledger, accounts, recon_seed.CAPITAL_MINOR, "bench:capital", capital_at)
        ids = {code.value: accounts[code] for code in (Acct.FLOAT, Acct.PRINCIPAL)}
        ids["4000"] = accounts[Acct.INTEREST_INCOME]
    watch = Stopwatch()
    recon_seed.seed_ledger(scratch.libpq_url, size, ids)
    seed_s = watch.seconds()
    scratch.checkpoint()
    log(f"  seeded {size:,} movements in the ledger in {seed_s:.1f} s")
    path = workdir / f"ORG_600000_All_{size}.csv"
    watch = Stopwatch()
    closing = recon_seed.write_statement(path, size, recon_seed.CAPITAL_MINOR)
    file_s = watch.seconds()
    file_mb = round(path.stat().st_size / 1024 / 1024, 1)
    log(f"  wrote the statement ({file_mb} MB) in {file_s:.1f} s")
    return Prepared(
        scratch,
        sessions,
        path,
        size,
        recon_seed.CAPITAL_MINOR,
        closing,
        seed_s,
        file_s,
        file_mb,
    )


def copy_baseline(libpq: str, path: Path, size: int) -> dict[str, Any]:
    """Plain ``COPY`` of the statement's data rows into a scratch table of text columns."""
    columns = ", ".join(f"c{i} text" for i in range(13))
    with psycopg.connect(libpq) as conn, path.open("rb") as source:
        conn.execute(f"CREATE TEMP TABLE baseline_copy ({columns})")
        for _ in range(7):  # preamble and header
            source.readline()
        start = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy("COPY baseline_copy FROM STDIN (FORMAT csv)") as cp,
        ):
            while chunk := source.read(1 << 20):
                cp.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), "rows_per_s": round(size / seconds, 1)}


def timed_reconcile(p: Prepared, chunk: int) -> tuple[int, dict[str, Any]]:
    marks: list[tuple[str, float]] = []
    cpu = CpuMeter()
    with RssSampler() as rss:
        start = time.perf_counter()
        with p.sessions.unit_of_work() as session, p.statement.open("rb") as stream:
            started = start_statement_run(session, stream, p.statement.name, "bench", CLOCK())
        imported = time.perf_counter()
        status = execute_run(
            p.sessions,
            CLOCK,
            started.run.id,
            None,
            RunPace(chunk, after_step=lambda phase: marks.append((phase, time.perf_counter()))),
        )
        end = time.perf_counter()
    seconds = end - start
    snapshot_at = marks[0][1]
    closing_from = marks[-2][1]
    figures = {
        "status": status,
        "seconds": round(seconds, 3),
        "phases_s": {
            "import": round(imported - start, 3),
            "snapshot": round(snapshot_at - imported, 3),
            "matching": round(closing_from - snapshot_at, 3),
            "closing": round(end - closing_from, 3),
        },
        "matching_steps": len(marks) - 2,
        "cpu": job_figures(cpu, p.scratch.backend_pids()),
        "rss_mb": rss.figures(),
    }
    return started.run.id, figures


def table_counts(sessions: Sessions) -> dict[str, int]:
    with sessions.reader() as session:
        return {
            t: int(session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in COUNTED
        }


def verify(p: Prepared, run_id: int) -> list[str]:
    failures = []
    with p.sessions.reader() as session:
        run = session.get(Run, run_id)
        assert run is not None
        summary = run.summary or {}
        lines = session.scalar(select(func.count()).select_from(StatementLine))
        exceptions = session.scalar(select(func.count()).select_from(ReconException))
    outcomes = {k: v["count"] for k, v in summary.get("outcomes", {}).items()}
    if run.status != "done":
        failures.append(f"run ended {run.status}: {run.error}")
    if outcomes != {"matched": p.size}:
        failures.append(f"outcomes {outcomes}, expected every line matched")
    if lines != p.size:
        failures.append(f"{lines} lines stored, expected {p.size}")
    if exceptions:
        failures.append(f"{exceptions} exceptions opened, expected none")
    check = summary.get("float_check") or {}
    if check.get("difference_minor") != 0 or check.get("unexplained_minor") != 0:
        failures.append(f"float check {check}")
    return failures


def rerun(p: Prepared, run_id: int) -> tuple[float, list[str]]:
    before = table_counts(p.sessions)
    start = time.perf_counter()
    with p.sessions.unit_of_work() as session, p.statement.open("rb") as stream:
        again = start_statement_run(session, stream, p.statement.name, "bench", CLOCK())
    status = execute_run(p.sessions, CLOCK, again.run.id)
    seconds = time.perf_counter() - start
    failures = []
    if again.run.id != run_id or again.created or status != "done":
        failures.append("reconciling the same file again did not return the finished run")
    after = table_counts(p.sessions)
    if after != before:
        failures.append(f"reconciling the same file again changed {before} -> {after}")
    return seconds, failures


def run_size(size: int, workdir: Path, keep: bool, chunk: int) -> dict[str, Any]:
    log(f"{size:,} lines")
    with (
        scratch_database("mkopo_bench_recon", log, keep=keep) as scratch,
        app_sessions(scratch.url) as sessions,
    ):
        p = prepare(scratch, sessions, size, workdir)
        baseline = copy_baseline(scratch.libpq_url, p.statement, size)
        log(f"  baseline COPY: {baseline['rows_per_s']:,.0f} rows/s")
        run_id, figures = timed_reconcile(p, chunk)
        seconds = figures["seconds"]
        log(
            f"  reconciled in {seconds:.1f} s ({size / seconds:,.0f} lines/s), "
            f"peak {figures['rss_mb']['peak']:.0f} MB, phases {figures['phases_s']}"
        )
        failures = verify(p, run_id)
        rerun_s, rerun_failures = rerun(p, run_id)
        failures += rerun_failures
        log(f"  re-run {rerun_s:.1f} s; {len(failures)} verification failures")
        for failure in failures:
            log(f"  FAILED: {failure}")
        return {
            "lines": size,
            **figures,
            "lines_per_s": round(size / seconds, 1),
            "copy_baseline": baseline,
            "ratio_to_copy": round((size / seconds) / baseline["rows_per_s"], 3),
            "statement_mb": p.file_mb,
            "seed_seconds": round(p.seed_s, 1),
            "statement_write_seconds": round(p.file_s, 1),
            "rerun_seconds": round(rerun_s, 3),
            "rerun_changed_nothing": not rerun_failures,
            "verified": not failures,
            "failures": failures,
        }
