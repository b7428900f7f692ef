"""The ``ledger`` section of docs/performance.md (and the run's printed report), built from
the benchmark's results."""

from __future__ import annotations

from typing import Any

from bench.common.machine import machine_line
from bench.common.report import DOC_WIDTH, format_table, wrap_markdown
from bench.ledger.pgbench import PGBENCH_SCALE

AIMS = {"uniform": 0.5, "hot": 0.3, "batched": 5.0}
"""Aimed entries/s as a multiple of pgbench's TPS on the same machine."""
QUIET_SHARE = 0.05
"""Above this share of CPU taken by other processes, a run is flagged as disturbed."""


def build_table(data: dict[str, Any]) -> str:
    base = data["pgbench_tps"]
    rows: list[list[Any]] = [
        [
            "pgbench (TPC-B-like, baseline)",
            f"{base:.0f} tps",
            "1.00x",
            "",
            "",
            f"avg {data['pgbench']['latency_avg_ms']}",
            "",
            data["pgbench"]["failed_transactions"],
        ]
    ]
    for name in ("uniform", "hot", "batched", "uniform+sealer"):
        case = data["cases"][name]
        aim = AIMS.get(name)
        ratio = case["entries_per_s"] / base if base else 0.0
        rows.append(
            [
                name,
                f"{case['entries_per_s']:.0f} entries/s",
                f"{ratio:.2f}x",
                f">= {aim}x" if aim else "",
                ("yes" if ratio >= aim else "no") if aim else "",
                case["txn_p50_ms"],
                case["txn_p99_ms"],
                case["errors"],
            ]
        )
    batched = data["cases"]["batched"]
    rows.append(
        [
            "batched, per entry (txn / 100)",
            "",
            "",
            "",
            "",
            batched["per_entry_p50_ms"],
            batched["per_entry_p99_ms"],
            "",
        ]
    )
    return format_table(
        ["case", "throughput", "vs pgbench", "aim", "met", "p50 ms", "p99 ms", "errors"], rows
    )


def build_cpu_table(data: dict[str, Any]) -> str:
    """CPU ms per entry (per transaction for pgbench), machine-wide and by process group.

    "unattributed" is the machine-wide figure less the groups: kernel time not charged to a
    process (loopback TCP, interrupts) and processes that exited during the case.
    """
    pg = data["pgbench"]
    pg_rest = (pg["machine_cpu_ms_per_txn"] or 0) - (pg["client_cpu_ms_per_txn"] or 0)
    pg_rest -= pg["foreign_cpu_ms_per_txn"] or 0
    rows: list[list[Any]] = [
        [
            "pgbench, per transaction",
            pg["machine_cpu_busy_pct"],
            pg["machine_cpu_ms_per_txn"],
            pg["client_cpu_ms_per_txn"],
            "",
            f"{pg_rest:.3f} (all the rest)",
            "",
            pg["foreign_cpu_ms_per_txn"],
            "",
        ]
    ]
    for name in ("uniform", "hot", "batched", "uniform+sealer"):
        case = data["cases"][name]
        by = case.get("cpu_ms_per_entry_by_group", {})
        foreign = (by.get("other_postgres") or 0) + (by.get("other_processes") or 0)
        machine = case.get("machine_cpu_ms_per_entry") or 0
        rows.append(
            [
                f"{name}, per entry",
                case["machine_cpu_busy_pct"],
                case.get("machine_cpu_ms_per_entry"),
                by.get("writers"),
                by.get("sealer") or "",
                by.get("bench_postgres"),
                by.get("postgres_background"),
                round(foreign + (by.get("harness") or 0), 3),
                round(machine - sum(by.values()), 3),
            ]
        )
    return format_table(
        [
            "",
            "machine busy %",
            "machine CPU ms",
            "writers",
            "sealer",
            "its PostgreSQL backends",
            "PostgreSQL background",
            "other processes",
            "unattributed",
        ],
        rows,
    )


def _paragraph(*parts: str) -> str:
    return wrap_markdown(" ".join(p.strip() for p in parts), width=DOC_WIDTH)


def build_doc_section(data: dict[str, Any]) -> str:
    table = build_table(data)
    sealer, backlog, check = data["sealer"], data["backlog"], data["consistency"]
    workers, mode, batch = data["workers"], data["mode"], data["batch"]
    uniform = data["cases"]["uniform"]
    pg = data["pgbench"]
    verdict = "ok" if backlog["verify_ok"] else f"FAILED: {backlog['verify_first_break']}"
    same = "the same as" if check["counts_agree"] else "NOT the same as"
    balanced = "equal" if check["debits_equal_credits"] else "DIFFER from"
    queued = sealer["unsealed_at_end_of_case"]
    shares = [pg.get("foreign_cpu_share") or 0.0]
    shares += [c.get("foreign_cpu_share") or 0.0 for c in data["cases"].values()]
    quiet = (
        f"The machine was otherwise quiet: other processes took at most {max(shares):.0%} of "
        "the CPU during the measurements."
        if max(shares) <= QUIET_SHARE
        else f"The machine was NOT quiet: other processes took up to {max(shares):.0%} of the "
        "CPU during the measurements, so these figures understate both pgbench and the "
        "ledger; rerun on a quiet machine."
    )
    rss_note = (
        f"each worker process peaked near {data['peak_rss_worker_mb']} MB"
        if mode == "processes"
        else "the worker threads share this process"
    )
    hot_ratio = data["cases"]["hot"]["entries_per_s"] / max(uniform["entries_per_s"], 1e-9)
    hot_note = (
        f"The hot account cost little here (hot ran at {hot_ratio:.0%} of uniform): CPU runs "
        "out before its row lock (held from its UPDATE to COMMIT) does."
        if hot_ratio >= 0.9
        else f"Hot ran at {hot_ratio:.0%} of uniform. Waiting for the hot row's lock was only a "
        "few percent of the backends' time when sampled from `pg_stat_activity` (they mostly "
        "wait for their clients); the cost shows as more PostgreSQL CPU per entry (table "
        "above) on the one row that every third entry updates."
    )
    mode_note = (
        "Workers are processes: as threads (`--mode threads`) they would share one GIL, "
        "capping the writers' Python at one core."
        if mode == "processes"
        else "Workers are threads of one process, so the GIL caps the writers' Python at one "
        "core; `--mode processes` lifts that cap."
    )
    blocks_out = [
        "## Ledger (make bench-ledger)",
        _paragraph(f"Last run {data['timestamp']} on {machine_line(data['machine'])}."),
        _paragraph(
            f"Command: `{data['command']}` (the `bench-ledger` make target), "
            f"{data['total_seconds']:.0f} s in all. Every figure of the run is in "
            "`bench/results/ledger.json`."
        ),
        _paragraph(
            f"The baseline is `pgbench -i -s {PGBENCH_SCALE}` then `pgbench -c {workers} -j 2 "
            f"-T {data['durations']['pgbench_seconds']}` (TPC-B-like: five statements a "
            "transaction) on a scratch database of the same server. The ledger runs on a fresh "
            f"database migrated by Alembic, with {data['accounts']:,} accounts (half assets, "
            "half liabilities, no balance constraint) and one `hot=True` asset account; "
            f"{workers} writers ({mode}) run each case for "
            f"{data['durations']['case_seconds']:.0f} s, every transaction its own "
            "`Sessions.unit_of_work`, every entry two postings under a unique idempotency key: "
            "**uniform** (one entry per transaction on two random accounts), **hot** "
            f"({data['hot_share']:.0%} of the entries have the hot account on one side), "
            f"**batched** ({batch} entries per transaction in one `ledger.post_many`, on random "
            "accounts) and **uniform+sealer** (uniform while the sealer "
            "loops on `seal_next_block` in a process of its own). Throughput is entries "
            "committed per wall second, latencies are per transaction, aims are multiples of "
            "pgbench's TPS.",
        ),
        table,
        _paragraph(
            f"Sealer, during uniform+sealer, run as the worker runs it (a tick every "
            f"{sealer['interval_s']:g} s, each tick sealing blocks of up to 1,000 entries, one "
            f"transaction each, until the queue is empty or "
            f"{sealer['max_blocks_per_tick']} blocks are sealed): {sealer['ticks']} ticks sealed "
            f"{sealer['entries_sealed_during_case']:,} of the "
            f"{sealer['entries_written_during_case']:,} entries while the writers ran, the "
            f"largest tick {sealer['max_entries_per_tick']:,} entries in "
            f"{sealer['max_tick_seconds']} s, so an entry waited at most about "
            f"{sealer['worst_lag_seconds_estimate']} s for its seal. **{queued:,} "
            f"{'entry was' if queued == 1 else 'entries were'} queued unsealed** when the "
            f"writers stopped; a tick started at once drained them in "
            f"**{sealer['drain_seconds']} s**"
            + (
                f" ({sealer['drain_entries_per_s']} entries/s)."
                if sealer["drain_entries_per_s"]
                else "."
            )
            + " "
            f"Alone after the cases, it sealed the {backlog['entries_sealed']:,} entries the "
            f"other cases had left in {backlog['seconds']} s (**{backlog['entries_per_s']} "
            "entries/s** in blocks of up to 1,000), and `verify` rechecked all "
            f"{backlog['verify_entries_checked']:,} sealed entries in "
            f"{backlog['verify_seconds']} s ({verdict})."
        ),
        _paragraph(
            f"Errors: {data['errors']} (writers and sealer). After the run the database holds "
            f"{check['entries_in_database']:,} entries, "
            f"{same} the writers counted, and total debits {balanced} total credits. Peak RSS "
            f"{data['peak_rss_mb']} MB (this process plus its largest child, from "
            f"`getrusage`); {rss_note}."
        ),
        _paragraph(
            "Where the CPU goes, in ms per entry (per transaction for pgbench): machine-wide "
            "from `/proc/stat`, then by group of processes, by pid from `/proc/*/stat`. "
            f"{quiet}"
        ),
        build_cpu_table(data),
        _paragraph(
            f"What limits the figures: CPU. The {data['machine']['nproc']} cores run PostgreSQL "
            "and the writers together and are saturated in every case "
            f"({uniform['machine_cpu_busy_pct']}% busy in uniform), and a ledger entry costs "
            f"far more CPU than a pgbench transaction ({uniform.get('machine_cpu_ms_per_entry')}"
            f" ms against {pg['machine_cpu_ms_per_txn']} ms). On PostgreSQL a single-entry "
            "transaction makes five round trips (pool pre-ping, BEGIN with the account-facts "
            "SELECT, one `ledger_write(jsonb)` call that locks, checks, inserts and moves "
            "balances, COMMIT) against pgbench's seven, so round trips are not the limit; CPU "
            "per entry is. Measured on one writer with 10,000 accounts on a quiet machine: "
            "about 1.6 ms of Python (SQLAlchemy session and statement setup, building and "
            "parsing the JSON, the ledger's checks) and 1.3 ms of PostgreSQL backend per "
            "entry, of which about 0.4 ms is the deferred balanced-entry trigger firing once per "
            "posting and most of the rest `ledger_write` itself (the lock, the replay probe on "
            "three unique indexes, three inserts with their foreign-key checks and the "
            "seal-queue trigger, two updates, a subtransaction). Under eight writers the "
            "backends' share per entry grows several-fold (table above): the append-only "
            "tables' primary-key and queue indexes all insert at their right-most page.",
            "Batching amortises the per-transaction and per-statement costs: `post_many` sends "
            "a batch as one `ledger_write` call and moves each account once, in the global lock "
            "order, so batches over random accounts cannot deadlock (this run draws them at "
            "random). Ways forward, in order of expected gain: check balance per entry in one "
            "statement-level pass at commit instead of once per posting; drop the "
            "account-facts SELECT by caching accounts' immutable facts per process; keep the "
            "Python path free of ORM session machinery (Core connection only).",
            f"{hot_note} The sealer shares the cores with the writers; its lag is the queue it "
            f"leaves, not a slowdown of their commits. {mode_note}",
        ),
    ]
    return "\n\n".join(blocks_out) + "\n"


def print_report(data: dict[str, Any], table: str) -> None:
    print()
    print(
        f"Ledger benchmark: {data['workers']} {data['mode']}, "
        f"{data['durations']['case_seconds']:.0f} s per case"
    )
    print(machine_line(data["machine"]))
    print()
    if table:
        print(table)
        print()
        print(build_cpu_table(data))
    else:
        for case, summary in data["cases"].items():
            print(f"{case}: {summary}")
    sealer, backlog = data["sealer"], data["backlog"]
    if sealer:
        print(
            f"\nsealer (tick every {sealer['interval_s']:g} s): "
            f"{sealer['unsealed_at_end_of_case']} entries unsealed at the end of uniform+sealer, "
            f"drained in {sealer['drain_seconds']} s; largest tick "
            f"{sealer['max_entries_per_tick']} entries in {sealer['max_tick_seconds']} s"
        )
    if backlog:
        print(
            f"backlog: {backlog['entries_sealed']} entries sealed alone in "
            f"{backlog['seconds']} s ({backlog['entries_per_s']} entries/s); verify "
            f"{'ok' if backlog['verify_ok'] else backlog['verify_first_break']} in "
            f"{backlog['verify_seconds']} s"
        )
    print(
        f"peak RSS {data['peak_rss_mb']} MB; errors {data['errors']}; "
        f"consistency {data['consistency']}; total {data['total_seconds']} s"
    )
