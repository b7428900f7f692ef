"""The ledger benchmark's figures: each case summarised from its writers' counts and
timings, the sealer's lag and drain, and whether the database agrees with what the writers
say they committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.accounting.tasks import MAX_BLOCKS_PER_RUN
from app.db.session import Sessions
from bench.common.measure import percentile, rounded
from bench.ledger import log
from bench.ledger.cases import CaseRun
from bench.ledger.workers import ERROR_SAMPLES
from ledger.schema import Account, JournalEntry, SealMember, UnsealedEntry


def summarise(name: str, run: CaseRun, per_txn: int, nproc: int) -> dict[str, Any]:
    txn_ms = [v for r in run.results for v in r.txn_ms]
    post_ms = [v for r in run.results for v in r.post_ms]
    entries = sum(r.entries for r in run.results)
    errors = sum(r.errors for r in run.results)
    samples = [s for r in run.results for s in r.error_samples][:ERROR_SAMPLES]
    summary: dict[str, Any] = {
        "entries": entries,
        "transactions": sum(r.transactions for r in run.results),
        "entries_per_transaction": per_txn,
        "wall_seconds": round(run.wall_seconds, 3),
        "entries_per_s": round(entries / run.wall_seconds, 1),
        "transactions_per_s": round(len(txn_ms) / run.wall_seconds, 1),
        "txn_p50_ms": rounded(percentile(txn_ms, 50)),
        "txn_p99_ms": rounded(percentile(txn_ms, 99)),
        "txn_max_ms": rounded(max(txn_ms) if txn_ms else None),
        "post_call_p50_ms": rounded(percentile(post_ms, 50), 3),
        "post_call_p99_ms": rounded(percentile(post_ms, 99), 3),
        "errors": errors,
        "error_samples": samples,
        "machine_cpu_busy_pct": rounded(
            None if run.machine_busy is None else run.machine_busy * 100, 1
        ),
        "client_cpu_cores": round(run.client_cpu_seconds / run.wall_seconds, 2),
        "machine_cores": nproc,
        "pg_subtrans_lookups": run.subtrans_lookups,
        "pg_subtrans_lookups_per_entry": (
            round(run.subtrans_lookups / entries, 1) if entries and run.subtrans_lookups else 0
        ),
    }
    if entries and run.machine_busy is not None:
        machine_ms = run.machine_busy * nproc * run.wall_seconds / entries * 1000
        client_ms = run.client_cpu_seconds / entries * 1000
        summary["machine_cpu_ms_per_entry"] = round(machine_ms, 3)
        summary["client_cpu_ms_per_entry"] = round(client_ms, 3)
        summary["other_cpu_ms_per_entry"] = round(machine_ms - client_ms, 3)
        # "other": everything but the writers (PostgreSQL, the kernel, the sealer if it runs)
        summary["cpu_ms_per_entry_by_group"] = {
            group: round(seconds / entries * 1000, 3) for group, seconds in run.cpu_by_group.items()
        }
        total = sum(run.cpu_by_group.values())
        foreign = run.cpu_by_group.get("other_processes", 0.0) + run.cpu_by_group.get(
            "other_postgres", 0.0
        )
        summary["foreign_cpu_share"] = round(foreign / total, 3) if total else None
    if per_txn > 1:
        summary["per_entry_p50_ms"] = rounded(percentile([v / per_txn for v in txn_ms], 50), 3)
        summary["per_entry_p99_ms"] = rounded(percentile([v / per_txn for v in txn_ms], 99), 3)
    log(
        f"{name}: {summary['entries_per_s']} entries/s, p50 {summary['txn_p50_ms']} ms, "
        f"p99 {summary['txn_p99_ms']} ms, errors {errors}, machine CPU "
        f"{summary['machine_cpu_busy_pct']}%"
    )
    return summary


def summarise_sealer(run: CaseRun, case_entries: int, interval_s: float) -> dict[str, Any]:
    sealer = run.sealer
    assert sealer is not None
    assert run.writers_done_at is not None
    drain_s = None if sealer.drained_at is None else sealer.drained_at - run.writers_done_at
    queued = run.unsealed_at_stop or 0
    return {
        "case": "uniform+sealer",
        "interval_s": interval_s,
        "max_blocks_per_tick": MAX_BLOCKS_PER_RUN,
        "ticks": sealer.ticks,
        "max_entries_per_tick": sealer.max_tick_entries,
        "max_tick_seconds": round(sealer.max_tick_seconds, 3),
        "worst_lag_seconds_estimate": round(interval_s + sealer.max_tick_seconds, 3),
        "entries_written_during_case": case_entries,
        "entries_sealed_during_case": run.sealed_during,
        "unsealed_at_end_of_case": queued,
        "drain_seconds": rounded(drain_s, 3),
        "drain_entries_per_s": (round(queued / drain_s, 1) if drain_s and queued else None),
        "busy_entries_per_s": (
            round(sealer.entries_sealed / sealer.busy_seconds, 1) if sealer.busy_seconds else None
        ),
        "blocks": sealer.blocks,
        "entries_sealed_total": sealer.entries_sealed,
        "errors": sealer.errors,
        "error_samples": sealer.error_samples,
        "peak_rss_mb": sealer.peak_rss_mb,
    }


def consistency(sessions: Sessions, expected_entries: int) -> dict[str, Any]:
    """Do the database's counts agree with what the workers said they committed?"""
    with sessions.unit_of_work() as session:
        entries = session.execute(select(func.count()).select_from(JournalEntry)).scalar_one()
        sealed = session.execute(select(func.count()).select_from(SealMember)).scalar_one()
        unsealed = session.execute(select(func.count()).select_from(UnsealedEntry)).scalar_one()
        debits, credits = session.execute(
            select(func.sum(Account.debits_posted), func.sum(Account.credits_posted))
        ).one()
    return {
        "entries_in_database": int(entries),
        "entries_counted_by_workers": expected_entries,
        "counts_agree": int(entries) == expected_entries,
        "sealed_plus_unsealed_equals_entries": int(sealed) + int(unsealed) == int(entries),
        "debits_equal_credits": int(debits or 0) == int(credits or 0),
    }


def ratio(value: float, base: float) -> float:
    return round(value / base, 3) if base else 0.0
