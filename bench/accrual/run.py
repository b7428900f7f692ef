"""One size of the accrual benchmark: the portfolio, ONE timed ``accrue_through`` with its
phases, CPU, memory and WAL, the checks, and the re-run that must change nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psycopg

from app.lending import accrual
from app.lending.models import AccrualRun
from bench.accrual import instalments
from bench.accrual.checks import snapshot, state_matches_closed_form, verify_rerun, verify_run
from bench.accrual.phases import phase_breakdown, phase_timers
from bench.accrual.portfolio import CLOCK, Portfolio, log, prepare
from bench.common.databases import app_sessions, scratch_database
from bench.common.measure import CpuMeter, RssSampler, job_figures, peak_rss
from bench.common.seed import subledger_disagreements


def wal_position(admin: str) -> tuple[str, int, int]:
    """(WAL LSN, checkpoints so far, full-page images so far) of the server."""
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pg_current_wal_lsn()::text,"
            " (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter),"
            " (SELECT wal_fpi FROM pg_stat_wal)"
        ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1]), int(row[2])


def wal_since(admin: str, before: tuple[str, int, int]) -> dict[str, Any]:
    """WAL written, checkpoints and full-page images since ``before`` (the whole server)."""
    lsn, checkpoints, fpi = wal_position(admin)
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute("SELECT pg_wal_lsn_diff(%s, %s)", (lsn, before[0])).fetchone()
    assert row is not None
    return {
        "wal_mb": round(float(row[0]) / 1024 / 1024, 1),
        "checkpoints": checkpoints - before[1],
        "full_page_images": fpi - before[2],
    }


def profiled(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        from pyinstrument import Profiler  # noqa: PLC0415
    except ImportError as exc:
        raise SystemExit(
            "--profile needs pyinstrument (.venv/bin/pip install pyinstrument)"
        ) from exc
    return Profiler(interval=0.001)


def timed_run(
    p: Portfolio, batch_size: int, profile: Path | None
) -> tuple[AccrualRun, dict[str, Any]]:
    """ONE ``accrue_through``: wall time, phases, CPU, RSS, WAL (and a profile if asked)."""
    sessions, through, admin = p.sessions, p.through, p.scratch.admin
    profiler = profiled(profile)
    wal = wal_position(admin)
    cpu = CpuMeter()
    with phase_timers() as spent, RssSampler() as rss:
        if profiler is not None:
            profiler.start()
        start = time.perf_counter()
        run = accrual.accrue_through(sessions, CLOCK, through, batch_size)
        seconds = time.perf_counter() - start
        if profiler is not None:
            profiler.stop()
    figures = {
        "seconds": round(seconds, 3),
        "phases_s": phase_breakdown(spent, seconds),
        "cpu": job_figures(cpu, p.scratch.backend_pids()),
        "wal": wal_since(admin, wal),
        "rss_mb": rss.figures() | {"process_peak_getrusage": peak_rss()["self_mb"]},
    }
    if profiler is not None and profile is not None:
        profile.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        log(f"  profile written to {profile}")
    return run, figures


def run_size(
    size: int, batch_size: int, profile: Path | None, keep: bool, fillfactor: int | None = None
) -> dict[str, Any]:
    log(f"{size:,} loans")
    with (
        scratch_database("mkopo_bench_accrual", log, keep=keep, migrated=False) as scratch,
        app_sessions(scratch.url) as sessions,
    ):
        p = prepare(scratch, sessions, size, fillfactor)
        before = snapshot(p.sessions, CLOCK, p.through)
        run, figures = timed_run(p, batch_size, profile)
        seconds = figures["seconds"]
        log(
            f"  accrual: {seconds:.2f} s, {size / seconds:,.0f} loans/s, "
            f"peak {figures['rss_mb']['peak']:.0f} MB"
        )
        after = snapshot(p.sessions, CLOCK, p.through)
        failures = verify_run(
            before,
            after,
            run,
            p.through,
            size,
            p.terms,
            state_matches_closed_form(p.scratch.libpq_url, p.through, p.terms)
            + instalments.instalment_loans_off(p.scratch.libpq_url, p.through),
            subledger_disagreements(p.sessions, CLOCK),
        )
        start = time.perf_counter()
        rerun = accrual.accrue_through(p.sessions, CLOCK, p.through, batch_size)
        rerun_s = time.perf_counter() - start
        rerun_failures = verify_rerun(after, snapshot(p.sessions, CLOCK, p.through), rerun)
        failures += rerun_failures
        log(f"  re-run: {rerun_s:.2f} s; {len(failures)} verification failures")
        for failure in failures:
            log(f"  FAILED: {failure}")
        batches = -(-size // batch_size)
        return {
            "loans": size,
            "instalment_loans": p.instalment_loans,
            "business_date": p.through.isoformat(),
            "batch_size": batch_size,
            "seconds": seconds,
            "loans_per_s": round(size / seconds, 1),
            "cpu_seconds": round(
                figures["cpu"]["bench_process_cpu_s"] + figures["cpu"]["bench_backends_cpu_s"], 2
            ),
            "batches": batches,
            "ms_per_batch": round(seconds * 1000 / batches, 2),
            **{k: v for k, v in figures.items() if k != "seconds"},
            "run_row": {
                "loans_accrued": run.loans_accrued,
                "interest_minor": run.interest_minor,
                "penalty_minor": run.penalty_minor,
                "loans_defaulted": run.loans_defaulted,
            },
            "ledger_entries_posted": after["ledger_entries"] - before["ledger_entries"],
            "reminders_queued": after["sms"] - before["sms"],
            "rerun_seconds": round(rerun_s, 3),
            "rerun_loans_accrued": rerun.loans_accrued,
            "rerun_changed_nothing": not rerun_failures,
            "setup_seconds": round(p.setup_s, 1),
            "create_seconds": round(p.create_s, 1),
            "opening_balances_minor": p.opening,
            "verified": not failures,
            "failures": failures,
            "profiled": profile is not None,
            "loans_fillfactor": fillfactor,
        }
