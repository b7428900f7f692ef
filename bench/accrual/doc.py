"""The ``accrual`` section of docs/performance.md, built from the benchmark's results."""

from __future__ import annotations

from typing import Any

from bench.common.machine import machine_line
from bench.common.report import format_table, wrap_markdown, yes_no

AIM_SECONDS_1M = 300.0
AIM_RSS_MB = 500.0
LINEAR_TOLERANCE = 1.2
"""Growth counts as linear when the per-loan time at the larger size is at most 20% above."""


def aims_met(data: dict[str, Any]) -> dict[str, bool | None]:
    s1m, rss, growth = data["seconds_1m"], data["peak_rss_mb"], data["growth_ratio"]
    return {
        "time": None if s1m is None else s1m < AIM_SECONDS_1M,
        "memory": None if rss is None else rss < AIM_RSS_MB,
        "linear": None if growth is None else growth <= 10 * LINEAR_TOLERANCE,
    }


def build_table(data: dict[str, Any]) -> str:
    rows = []
    for label, r in data["runs"].items():
        phases = r["phases_s"]
        rows.append(
            [
                f"{r['loans']:,} ({label})",
                r["seconds"],
                f"{r['loans_per_s']:,.0f}",
                r["ms_per_batch"],
                phases.get("select_and_compute"),
                phases.get("cas_update"),
                phases.get("ledger_posts"),
                phases.get("delinquency"),
                phases.get("transactions_and_run_row"),
                r["cpu"]["bench_process_cpu_s"],
                r["cpu"]["bench_backends_cpu_s"],
                r["wal"]["wal_mb"],
                f"{r['rss_mb']['peak']} (+{r['rss_mb']['growth']})",
                r["rerun_seconds"],
                "yes" if r["verified"] else "NO",
            ]
        )
    return format_table(
        [
            "loans",
            "seconds",
            "loans/s",
            "ms/batch",
            "select+compute s",
            "CAS update s",
            "ledger s",
            "delinquency s",
            "txn+run row s",
            "Python CPU s",
            "backend CPU s",
            "WAL MB",
            "RSS peak MB (growth)",
            "re-run s",
            "verified",
        ],
        rows,
    )


def build_doc_section(data: dict[str, Any]) -> str:
    table = build_table(data)
    aims = aims_met(data)
    machine = machine_line(data["machine"])
    runs = data["runs"].values()
    unchanged = all(r["rerun_changed_nothing"] for r in runs)
    paragraphs = [
        "## Daily accrual (make bench-accrual)",
        wrap_markdown(f"Last run {data['timestamp']} on {machine}."),
        wrap_markdown(
            f"Command: `{data['command']}`, {data.get('total_seconds')} s in all. Every figure "
            "of the run is in `bench/results/accrual.json`."
        ),
        wrap_markdown(
            "Each size runs on a fresh database migrated by Alembic: N borrowers and N active "
            "Personal Loans are inserted directly (two `INSERT ... SELECT FROM generate_series`, "
            "no origination), principal KES 100 to 50,000, disbursed 1 to 20 days before the "
            "business date D and already accrued to D - 1, and one opening ledger entry puts "
            "their principal, interest and penalty in 1200/1210/1220. The timed call is ONE "
            f"`accrue_through(sessions, clock, D)` with batch size {data['batch_size']:,}: one "
            "more day for every loan (15% of them reach day 9, 14 or 19 and get a reminder SMS; "
            "30% are in their penalty days; none reaches the default day). Phases are wall "
            "seconds inside the job's batch-level functions (select+compute is the batch's "
            "SELECT and the interest arithmetic; delinquency is mostly queuing the reminders); "
            "CPU is from `/proc/*/stat` (this process; its PostgreSQL backend); WAL is the "
            "server's, during the call; RSS is this process's VmRSS sampled every 50 ms during "
            "the call (peak, and growth over its start)."
        ),
        table,
        wrap_markdown(
            "Verified after each run: every loan advanced exactly one day and its interest, "
            "penalty and carry equal the closed form of `app.loan_math.interest` for day D; the "
            "interest and penalty the loans gained equal what 1210 and 1220 gained and the "
            "`accrual_runs` row; `check_subledger` agrees; one reminder per loan due one; no "
            f"default. Result: **{'all checks passed' if data['verified'] else 'FAILED'}**. "
            "A second run for the same date "
            + (
                "changed nothing (loans, ledger, outbox; it only adds an all-zero "
                "`accrual_runs` row)"
                if unchanged
                else "CHANGED something (see `failures` in the JSON)"
            )
            + " and took the `re-run s` above: it still reads every open loan, batch by batch."
        ),
        wrap_markdown(
            "Aims (this 2-core machine): 1,000,000 loans in under 5 minutes: "
            f"**{yes_no(aims['time'])}** ({data['seconds_1m']} s); peak RSS under 500 MB: "
            f"**{yes_no(aims['memory'])}** ({data['peak_rss_mb']} MB); linear growth (1m / "
            f"100k time <= {10 * LINEAR_TOLERANCE:.0f}): **{yes_no(aims['linear'])}** "
            f"(ratio {data['growth_ratio']}; of the CPU time of this process and its backend: "
            f"{data.get('cpu_growth_ratio')})."
        ),
    ]
    limits = limits_paragraph(data)
    if limits:
        paragraphs.append(wrap_markdown(limits))
    paragraphs += [wrap_markdown(text) for text in HISTORY]
    return "\n\n".join(paragraphs)


def limits_paragraph(data: dict[str, Any]) -> str:
    """What limits the figures, from the largest run."""
    if not data["runs"]:
        return ""
    r = max(data["runs"].values(), key=lambda run: run["loans"])
    n, cpu, phases, wal = r["loans"], r["cpu"], r["phases_s"], r["wal"]
    python_s, backend_s = cpu["bench_process_cpu_s"], cpu["bench_backends_cpu_s"]
    text = (
        f"What limits the figures ({n:,} loans): the job is one connection working batch after "
        "batch, so its wall time is this process's CPU time plus its PostgreSQL backend's, "
        f"one after the other ({python_s} s of Python + {backend_s} s of backend = "
        f"{round(python_s + backend_s, 1)} s of the {r['seconds']} s): it keeps at most one of "
        f"the two cores busy. Per loan that is {round(python_s * 1e6 / n)} us of Python "
        "(building the row objects, `accrue_day`, the update's parameters, the reminders' ORM "
        f"bulk insert) and {round(backend_s * 1e6 / n)} us in PostgreSQL, mostly the "
        "compare-and-set UPDATE: the loans rows are wide (the terms snapshot alone is about "
        "460 bytes of JSONB) and the table has the default fillfactor, so almost no update is "
        "HOT: each writes a whole new row version on another page and an entry in each of the "
        f"loans table's four indexes ({wal['wal_mb']} MB of WAL, {wal['checkpoints']} "
        f"checkpoints and {wal['full_page_images']:,} full-page images server-wide during "
        f"the call). By phase: select+compute {phases.get('select_and_compute')} s, "
        f"compare-and-set UPDATE {phases.get('cas_update')} s, reminders and defaults "
        f"{phases.get('delinquency')} s, ledger entries {phases.get('ledger_posts')} s "
        f"({r['ledger_entries_posted']} entries), transactions "
        f"{phases.get('transactions_and_run_row')} s."
    )
    share = cpu.get("foreign_share")
    if share is not None and share > 0.1:
        text += (
            f" The machine was NOT quiet: other processes took {round(share * 100)}% of its "
            "CPU during this call, so the wall times here are pessimistic; the CPU seconds "
            "are the steadier figure."
        )
    return text


HISTORY = (
    "Changes made on 2026-11-28 after profiling the 100k run with pyinstrument, all "
    "without changing what the job writes (checked by `tests/integration/"
    "test_lending_journey.py`, and by dumping loans, outbox, borrowers, limit decisions, "
    "ledger postings and accrual runs of a 45-day, 14-loan scenario with defaults, "
    "reminders, repayments and skipped days under the old and new code: identical on "
    "SQLite and PostgreSQL). Before them this benchmark measured 28.8 s for 100k and "
    "392.2 s for 1m (2,550 loans/s, growth ratio 13.6, RSS 97 MB; the machine was busy then "
    "too: for 1m, 157 s of Python CPU and 86 s of CPU of all PostgreSQL processes, against "
    "about 33 s and 28 s for the backend now). In the profile, 21.2 s "
    "of 43.6 s went to `queue_sms` called once per reminder (an ORM INSERT built, compiled "
    "from the cache and sent per SMS), 10.4 s to the executemany UPDATE (one statement per "
    "loan), 2.1 s to `ProductTerms.from_snapshot` per loan, 2.3 s to fetching the rows "
    "(JSON parsing of the snapshot per row) and 0.9 s to looking up the chart's accounts "
    "again in every batch. Now: (1) a batch's reminders are one ORM bulk INSERT ... ON "
    "CONFLICT DO NOTHING (those before a default are written before it, so the outbox "
    "keeps the loans' order); (2) on PostgreSQL the compare-and-sets are one `UPDATE loans "
    "... FROM unnest(...) WHERE loans.id = v.loan_id AND loans.days_accrued = v.old_days` "
    "with the same rowcount check (a loan moved by someone else still rolls the batch back "
    "with `AccrualRace`; SQLite keeps the executemany); (3) the snapshot is read as JSON "
    "text and parsed into a schedule once per distinct snapshot (`loan_terms`, an LRU "
    "cache); (4) the chart's accounts are looked up once per run.",
    "Not done, to decide: batches of 5,000 measured about 10% faster at 100k (10,000 no "
    "better), but hold each batch's row locks longer and group the ledger entries "
    "differently (`accrue_through(..., batch_size=...)` already allows it); skipping "
    "already-accrued loans in the SELECT would make a re-run nearly free but changes which "
    "loans a batch spans; two workers on disjoint id ranges could use the second core; "
    "keeping the terms by reference (a product-version id) instead of a JSONB snapshot on "
    "every loan would shrink the rows the UPDATE copies (with `--loans-fillfactor 80` only "
    "about 20% of updates were HOT, because the rows are that wide).",
)
"""Findings kept in the docs section (the baseline figures are from the run before them)."""
