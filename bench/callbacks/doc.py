"""The ``callbacks`` section of docs/performance.md, built from the benchmark's results."""

from __future__ import annotations

from typing import Any

from bench.common.machine import machine_line
from bench.common.report import format_table, list_item, wrap_markdown, yes_no

BUSY_SHARE = 0.1
"""Above this share of the machine's CPU taken by other processes, the run is flagged."""

FINDINGS: tuple[str, ...] = (
    "Findings of 2026-11-28 (busy machine: other work took 15-45% of the CPU during these "
    "measurements), from the runs above and one-off experiments:",
    "- **uvicorn workers.** 1 and 2 workers measured alternately (16 and 32 connections, "
    "10 s each): with 2, `/healthz` ran at 1,400-2,600 requests/s against 1,100-1,500 with "
    "1, and C2B confirmations at 290-460/s against 260-335/s. The benchmark uses 2: one "
    "Python process cannot use the second core, and PostgreSQL's share is small.",
    "- **Connections.** Each worker's SQLAlchemy pool holds 10 connections (+5 overflow), "
    "fewer than the 40 threads that run the handlers. With 32 wrk connections the pools kept "
    "opening and closing PostgreSQL connections (one new backend every ~8 requests) and "
    "PostgreSQL's CPU per request rose from about 0.5 ms to 1.2-1.4 ms, with a higher p99. "
    "16 connections (the default here) stay within the pools. In production, size "
    "`MKOPO_DATABASE_POOL_SIZE` to the concurrency Daraja will send.",
    "- **Where accepting spends its time.** The API is CPU-bound in Python: about 2.4-3.5 ms "
    "of API CPU per accepted confirmation against 0.4-0.8 ms for `/healthz`, plus about "
    "0.5 ms of PostgreSQL. Sampled with py-spy (`--gil`, one worker, 10 s): about half of "
    "the GIL time is the handler's thread (`store_callback`'s ORM INSERT ... ON CONFLICT "
    "built and cache-keyed on every request, the session and transaction, the pool checkout "
    "with its pre-ping round trip, COMMIT), about a fifth the ASGI stack (uvicorn, "
    "middleware, routing), 8% the two structlog lines per request (`callback_stored` and "
    "the access line) and 4% the hop to the thread pool. The trivial endpoint itself "
    "answers 1,400-4,000 requests/s here with 2 workers, depending on the machine's other "
    "load, so 3,000 confirmations/s would need storing one to cost about as little as "
    "answering `/healthz`: out of reach for this stack on 2 cores, whatever is tuned. The "
    "ratio to the baseline is the figure to compare across machines. Suggested, in order: "
    "store the row with one prepared Core (or psycopg) statement instead of an ORM insert "
    "built per request; no `pool_pre_ping` on the API's engine (`pool_recycle` and a retry "
    "instead); one log line per callback; an async handler on an async driver (no thread "
    "hop). Thousands per second with p99 < 50 ms would need the inbox writes of concurrent "
    "requests grouped into one transaction (group commit in the application).",
    "- **Where processing spends its time.** On the first runs: 13-17 ms of worker CPU and "
    "6-7 ms of PostgreSQL per callback, about 26 SQL statements, a third of it in "
    "`fund_accounts` (12 ORM SELECTs for the chart's ids on every repayment). That lookup is now "
    "one query (`Ledger.account_ids`): 48/s -> 68/s, worker CPU 13 -> 9 ms per callback. "
    "Committing 100 callbacks per transaction gained nothing in an experiment: commits are not "
    "the limit, Python per statement is (0.4-0.6 ms each through the ORM). 1,000/s needs a "
    "set-based batch path, as the accrual job has: claim a batch of callbacks, load its loans "
    "and borrowers with one locking SELECT each in id order, allocate in Python, post the "
    "entries with one `Ledger.post_many` (the ledger section above: 1,885 entries/s in batches "
    "against 196 one per transaction), bulk-insert the repayments and SMS, update loans and "
    "borrowers with one `UPDATE ... FROM unnest(...)`, and mark the callbacks in one statement;"
    " a callback the batch refuses falls back to the per-callback path. Not built yet.",
    "- **Several workers.** A callback is now claimed with `FOR UPDATE SKIP LOCKED`, so two "
    "processes no longer queue on the same rows (not yet measured with two).",
    "- **The schedule.** A run of `mpesa.process_callbacks` (every 5 s) used to stop after "
    "100 callbacks, capping a worker at 20/s; it now takes batch after batch for up to 4 s "
    "(`PROCESS_BUDGET_S`), so a worker keeps up with about 4/5 of its processing rate.",
)
"""Measured findings kept in the section (the runs and experiments they come from are
described in them; rerun and update them when the code changes)."""


def processes(count: int) -> str:
    return "1 process" if count == 1 else f"{count} processes"


def per_request_ms(cpu_s: float | None, count: int) -> float | None:
    return None if cpu_s is None or not count else round(cpu_s * 1000 / count, 3)


def figures_table(data: dict[str, Any]) -> str:
    http, met, aims = data["http"], data["aims_met"], data["aims"]
    baseline, timed = http["baseline"], data["processing"]["timed"]
    rows = [
        [
            "GET /healthz (baseline)",
            f"{data['baseline_rps']:,.0f} requests/s",
            baseline["latency_ms"]["p50"],
            baseline["latency_ms"]["p99"],
            "",
            "",
        ],
        [
            "C2B confirmations accepted into the inbox",
            f"{data['accepted_rps']:,.0f}/s ({data['ratio']:.2f}x baseline)",
            data["accepted_p50_ms"],
            data["accepted_p99_ms"],
            f">= {aims['accepted_rps']:,.0f}/s, p99 < {aims['accepted_p99_ms']:.0f} ms",
            f"{yes_no(met['accepted_rps'])}, {yes_no(met['accepted_p99_ms'])}",
        ],
        [
            f"processed to posted repayments ({processes(data['config']['processors'])})",
            f"{data['processed_per_s']:,.0f}/s ({timed['callbacks']:,} in {timed['seconds']} s)",
            "",
            "",
            f">= {aims['processed_per_s']:,.0f}/s",
            yes_no(met["processed_per_s"]),
        ],
        *airtel_rows(data),
        [
            "the worker as scheduled (budget / beat interval)",
            f"about {data['scheduled_cap_per_s'] or 0:,.0f}/s",
            "",
            "",
            "",
            "",
        ],
    ]
    return format_table(["", "throughput", "p50 ms", "p99 ms", "aim", "met"], rows)


def airtel_rows(data: dict[str, Any]) -> list[list[Any]]:
    """Airtel's collection callbacks, as ratios to the same run's baseline and M-Pesa."""
    if "airtel_accepted_rps" not in data:
        return []
    timed = data["airtel"]["processing"]["timed"]
    return [
        [
            "Airtel collection callbacks accepted into the inbox",
            f"{data['airtel_accepted_rps']:,.0f}/s ({data['airtel_ratio']:.2f}x baseline)",
            data["airtel_accepted_p50_ms"],
            data["airtel_accepted_p99_ms"],
            "",
            "",
        ],
        [
            "Airtel: enquiry, then processed to posted repayments (1 process)",
            f"{data['airtel_processed_per_s'] or 0:,.0f}/s ({timed['callbacks']:,} in "
            f"{timed['seconds']} s; {data['airtel_processed_vs_mpesa']}x M-Pesa's)",
            "",
            "",
            "",
            "",
        ],
    ]


def airtel_paragraph(data: dict[str, Any]) -> str | None:
    if "airtel" not in data:
        return None
    books = data["airtel"]["processing"]["books"]
    accepted = data["airtel"]["http"]["accepted"]
    return (
        "Airtel Money (`bench/callbacks/airtel.py`), after the M-Pesa phases: the API is "
        "started again with the same settings and, after its warm-up, loaded for as long with "
        '`POST /callbacks/airtel/{token}/collection` (`{"transaction": {"id", '
        '"message", "status_code": "TS", "airtel_money_id"}}`, a unique id per '
        "request); its ratio is to the `/healthz` baseline above. For every callback stored, "
        "the USSD push it answers is inserted (Airtel, sent, KES 10) and the Airtel simulator "
        "(`integrations/airtel/simulator`, served in a thread of the benchmark's process) holds "
        "the collection as successful; the worker's `process_pending`, given the app's Airtel "
        "client, then makes one enquiry per callback over loopback HTTP (the simulator's "
        "CPU counts as the worker's) before the transaction that settles the push and posts "
        f"the repayment to the Airtel float (1011). Checked: {accepted['acks']:,} "
        f"acknowledgements, {accepted['inbox_rows']:,} inbox rows; "
        f"{books['repayments']:,} repayments and {books['repayment_entries']:,} ledger "
        f"entries, pushes settled {books['pushes_succeeded']:,}, Airtel float "
        f"{books['airtel_float_minor']:,} minor units (warm-up included)."
    )


def cpu_table(data: dict[str, Any]) -> str:
    http = data["http"]
    timed = data["processing"]["timed"]
    runs = (
        ("GET /healthz, per request", http["baseline"], http["baseline"]["requests"], "api"),
        ("C2B accepted, per request", http["accepted"], http["accepted"]["requests"], "api"),
        ("processing, per callback", timed, timed["callbacks"], "worker"),
    )
    if "airtel" in data:
        airtel_http = data["airtel"]["http"]["accepted"]
        airtel_timed = data["airtel"]["processing"]["timed"]
        runs += (
            ("Airtel accepted, per request", airtel_http, airtel_http["requests"], "api"),
            ("Airtel processing, per callback", airtel_timed, airtel_timed["callbacks"], "worker"),
        )
    rows = []
    for label, run, count, own in runs:
        cpu = run["cpu"]
        rows.append(
            [
                label,
                cpu["machine_busy_pct"],
                per_request_ms(cpu["machine_cpu_s"], count),
                per_request_ms(cpu[f"{own}_cpu_s"], count),
                per_request_ms(cpu["postgres_cpu_s"], count),
                per_request_ms(cpu.get("driver_cpu_s") or None, count),
                per_request_ms(cpu["other_cpu_s"], count),
                f"{run['db_connections_opened']:,}" if "db_connections_opened" in run else "",
            ]
        )
    return format_table(
        [
            "",
            "machine busy %",
            "machine CPU ms",
            "API or worker (Python)",
            "PostgreSQL (all processes)",
            "load generator",
            "other processes",
            "connections opened",
        ],
        rows,
    )


def profile_table(profile: dict[str, Any]) -> str:
    rows = [
        [b["what"], f"{b['calls']:,}", b["cumulative_s"], b["share_pct"]]
        for b in profile["buckets"]
    ]
    return format_table(["inside process_pending", "calls", "cumulative s", "% of profile"], rows)


def aims_paragraph(data: dict[str, Any]) -> str:
    aims, met = data["aims"], data["aims_met"]
    return (
        f"Aims (this 2-core machine): >= {aims['accepted_rps']:,.0f} confirmations/s "
        f"accepted: **{yes_no(met['accepted_rps'])}** ({data['accepted_rps']:,.0f}/s); their "
        f"p99 < {aims['accepted_p99_ms']:.0f} ms: **{yes_no(met['accepted_p99_ms'])}** "
        f"({data['accepted_p99_ms']} ms); >= {aims['processed_per_s']:,.0f} repayments/s "
        f"processed: **{yes_no(met['processed_per_s'])}** ({data['processed_per_s']:,.0f}/s, "
        f"about {data['scheduled_cap_per_s'] or 0:,.0f}/s as the worker is scheduled). "
        f"Accepted/baseline ratio: {data['ratio']}."
    )


def busy_note(data: dict[str, Any]) -> str | None:
    shares = [
        data["http"]["baseline"]["cpu"].get("other_share"),
        data["http"]["accepted"]["cpu"].get("other_share"),
        data["processing"]["timed"]["cpu"].get("other_share"),
    ]
    worst = max((s for s in shares if s is not None), default=0.0)
    if worst <= BUSY_SHARE:
        return None
    return (
        f"The machine was NOT quiet: processes outside the benchmark took up to "
        f"{round(worst * 100)}% of its CPU during the measurements (and the PostgreSQL "
        "column counts every database of the server), so the throughputs here are "
        "pessimistic; the CPU milliseconds of the API and the worker are the steadier figures."
    )


def build_doc_section(data: dict[str, Any]) -> str:
    config, http = data["config"], data["http"]
    accepted = http["accepted"]
    books = data["processing"]["books"]
    profile = data["processing"]["profile"]
    machine = machine_line(data["environment"])
    verdict = "all checks passed" if data["verified"] else "FAILED: " + "; ".join(data["failures"])
    paragraphs = [
        "## Callbacks (make bench-callbacks)",
        wrap_markdown(f"Last run {data['timestamp']} on {machine}."),
        wrap_markdown(
            f"Command: `{data['command']}`, {data.get('total_seconds')} s in all. Every figure "
            "of the run is in `bench/results/callbacks.json`."
        ),
        wrap_markdown(
            f"A fresh database migrated by Alembic holds {config['loans']:,} borrowers, each "
            "with an ACTIVE Personal Loan (bulk-inserted, 0 to 9 days old, most owing some "
            "interest; capital in the float and one entry for the portfolio, so the books "
            f"agree). The API runs as `mkopo serve --workers {config['workers']}` (uvicorn, "
            "uvloop, httptools; JSON request logs to a file) on a loopback port; the load "
            "generator (`bench/common/load.py`, in the benchmark's process, "
            f"{config['connections']} keep-alive connections, closed loop, "
            f"{config['seconds']} s a run, after a {config['warmup_seconds']} s warm-up) "
            "loads it on the same 2 cores: first `GET /healthz` (no database work) as the "
            "baseline, then `POST /callbacks/mpesa/{token}/c2b/confirmation` with Daraja's "
            f"v2 body, a unique TransID per request, KES {config['amount_kes']}, the "
            "BillRefNumber cycling over the loans' account numbers. Accepted = HTTP 200 with "
            "Daraja's acknowledgement, stored in the inbox first (one transaction: INSERT ... "
            "ON CONFLICT DO NOTHING). Then, with the API stopped, the worker's "
            f"`process_pending` runs in a loop ({processes(config['processors'])}) until the "
            "inbox is empty: one transaction per confirmation, each a repayment allocated "
            "(penalty, interest, principal), posted to the ledger, with its receipt SMS "
            "queued. Latencies are the load generator's (closed loop: with more connections, "
            "throughput stays and latency grows). The last row is what the worker's schedule "
            "allows, from `app.worker` and `PROCESS_BUDGET_S`."
        ),
        figures_table(data),
        *[wrap_markdown(text) for text in (airtel_paragraph(data),) if text],
        wrap_markdown(
            f"Checked: {accepted['acks']:,} acknowledgements and {accepted['inbox_rows']:,} "
            f"inbox rows (a few more rows than answers would be requests whose answer was "
            f"lost); then {books['repayments']:,} repayments and "
            f"{books['repayment_entries']:,} ledger entries for as many confirmations, the "
            "warm-up's and the profile's included (processed: "
            f"{books['callbacks_by_status'].get('processed', 0):,}; failed: "
            f"{books['callbacks_by_status'].get('failed', 0)}; to suspense: "
            f"{books['unmatched_receipts']}), trial balance "
            f"{books['trial_balance_net']}, subledger "
            f"{'agrees' if not books['subledger_disagrees'] else 'DISAGREES'}. Result: "
            f"**{verdict}**."
        ),
        wrap_markdown(aims_paragraph(data)),
        wrap_markdown(
            "Where the CPU goes, in ms per request or per callback: machine-wide from "
            "`/proc/stat`, then by group of processes from `/proc/*/stat` (the load generator "
            "is the benchmark's own process). PostgreSQL counts every process of the server, "
            "backends that exited during the run included (from the postmaster's children's "
            "CPU), so other databases' work on a busy machine shows there too; connections "
            "opened are `pg_stat_database.sessions` of the benchmark's database."
        ),
        cpu_table(data),
    ]
    if profile:
        paragraphs += [
            wrap_markdown(
                f"Profile of the processing (cProfile, {profile['callbacks']:,} more "
                f"confirmations stored directly and processed by the same loop: "
                f"{profile['profiled_per_s']:,.0f}/s under the profiler). Cumulative seconds "
                "overlap (a function's time includes what it calls):"
            ),
            profile_table(profile),
        ]
    note = busy_note(data)
    if note:
        paragraphs.append(wrap_markdown(note))
    paragraphs += [list_item(text) for text in FINDINGS]
    return "\n\n".join(paragraphs)
