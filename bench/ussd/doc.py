"""The ``ussd`` section of docs/performance.md, built from the benchmark's results."""

from __future__ import annotations

from typing import Any

from bench.common.machine import machine_line
from bench.common.report import format_table, wrap_markdown, yes_no

QUANTILES = ("p50_ms", "p99_ms")
BUSY_SHARE = 0.1
"""Above this share of the machine's CPU taken by other processes, the run is flagged."""

FINDINGS: tuple[str, ...] = (
    "Findings of 2026-11-28. The machine was busy: other engineers' test suites ran meanwhile "
    "(load average 4 to 15 on 2 cores; other processes took 15-62% of the CPU, and their "
    "PostgreSQL databases share the server, so the PostgreSQL column of the paced run is "
    "mostly theirs). Four short runs that day gave 35-59 journey hops/s and 159-231 "
    "hops/s for the hops before the PIN; the tables show the 15:27 run, and the slowest, "
    "at 15:43 (load average 15, one scrypt 119 ms), measured 35 and 159 hops/s, PIN-hop p99 "
    "24.7 s closed-loop and 929 ms paced. Read the ratios, not the absolute figures.",
    "- **The aims are not met, and cannot be with this journey on 2 cores.** One journey in "
    "five hops checks one PIN: scrypt with n=2^14 (`app/security/pins.py`), 41 ms on a quiet "
    "machine and 52-63 ms here. 1,000 hops/s of this journey is 200 PIN checks/s, 8-12 "
    "CPU-seconds of scrypt per second: 4-6 times the machine's two cores before anything "
    "else runs. That cost is a security choice (the lockout after 5 wrong PINs is the real "
    "defence of a 4-digit PIN), not something to tune away here.",
    "- **Where a journey's time goes.** The PIN hop costs about 60 ms of API CPU and 20 ms of "
    "PostgreSQL CPU: the scrypt, then booking the loan (`request_loan`: the borrower's row "
    "locked, the loan, the ledger hold, the payout) in four short transactions, two of them "
    "the PIN check's own (the attempt is recorded and committed before anything is booked); "
    "23 SQL statements in all. A menu hop costs 4.8 ms of API CPU and 2.8 ms of PostgreSQL "
    "(3 to 7 statements in one transaction holding the session row's lock; measured alone, "
    "single-threaded: 2.3-5 ms of CPU and 5.6-11 ms wall each), so even a journey without "
    "a PIN would top out near 260 hops/s here, against 1,615 requests/s for `/healthz`.",
    "- **Closed-loop latency is queueing.** With 200 sessions that answer instantly, the mean "
    "latency is 200 / throughput (Little's law): about 3.4 s at 59 hops/s, and p99 < 100 ms "
    "would need more than 2,000 hops/s. Menu hops wait behind PIN hops for the API's threads "
    "and database connections (menu p99 3.7 s in the journey run against 2.5 s when browsing). "
    "Real people take seconds to read each screen: 200 of them reading for 5-10 s offer "
    "20-40 hops/s, about what the paced run offers. There the menu hops answered with p99 of "
    "62-90 ms and the PIN hop with p50 222 ms, p99 493 ms (a scrypt and a booking on a "
    "machine with half its CPU taken by other work): well within the gateway's seconds.",
    "- **What would raise capacity, in order.** More API processes on more cores: a hop "
    "keeps no state in the process, so throughput scales out until PostgreSQL, which spends "
    "about 20 ms of CPU per journey, mostly booking the loan. Running PIN checks in a "
    "separate process pool would keep menu hops from queueing behind them, without making "
    "them cheaper. For menu hops, the callbacks section's suggestions apply: one Core "
    "statement instead of the ORM (lock and read the session row and the borrower in one "
    "round trip), no `pool_pre_ping` round trip per checkout, an async handler.",
)
"""Measured findings kept in the section (rerun and update them when the code changes)."""


def figures_table(data: dict[str, Any]) -> str:
    http, met, aims = data["http"], data["aims_met"], data["aims"]
    baseline, closed, paced = http["baseline"], http["closed"], http["paced"]
    rows = [
        [
            f"GET /healthz (baseline), {data['config']['sessions']} connections",
            f"{baseline['per_s']:,.0f} requests/s",
            baseline["p50_ms"],
            baseline["p99_ms"],
            "",
            "",
        ],
        [
            f"borrow journey, {data['config']['sessions']} sessions, closed-loop",
            f"{closed['per_s']:,.0f} hops/s ({data['ratio']:.2f}x baseline)",
            closed["p50_ms"],
            closed["p99_ms"],
            f">= {aims['hops_per_s']:,.0f}/s, p99 < {aims['p99_ms']:.0f} ms",
            f"{yes_no(met['hops_per_s'])}, {yes_no(met['p99_ms'])}",
        ],
        [
            "the four hops before the PIN only, closed-loop",
            f"{http['browse']['per_s']:,.0f} hops/s",
            http["browse"]["p50_ms"],
            http["browse"]["p99_ms"],
            "",
            "",
        ],
        [
            "the whole journey, paced: sessions start at a fixed rate, "
            f"{paced['think_s']:g} s to read each screen",
            f"{paced['offered_hops_per_s']:,.0f} hops/s offered",
            paced["p50_ms"],
            paced["p99_ms"],
            "",
            "",
        ],
    ]
    return format_table(["", "throughput", "p50 ms", "p99 ms", "aim", "met"], rows)


def hops_table(data: dict[str, Any]) -> str:
    runs = ("closed", "browse", "paced")
    by_run = [data["http"][run]["by_hop"] for run in runs]
    rows = [
        [label, *(by_hop.get(label, {}).get(q, "") for by_hop in by_run for q in QUANTILES)]
        for label in data["journey"]
    ]
    headers = [f"{run} {q.removesuffix('_ms')} ms" for run in runs for q in QUANTILES]
    return format_table(["hop", *headers], rows)


def cpu_table(data: dict[str, Any]) -> str:
    http = data["http"]
    rows = []
    for label, run in (
        ("GET /healthz", http["baseline"]),
        ("journey hops, closed-loop", http["closed"]),
        ("hops before the PIN, closed-loop", http["browse"]),
        ("journey hops, paced", http["paced"]),
    ):
        cpu, per_hop = run["cpu"], run["cpu_ms_per_hop"]
        other = cpu["other_share"]
        rows.append(
            [
                label,
                cpu["machine_busy_pct"],
                per_hop["api"],
                per_hop["postgres"],
                per_hop["driver"],
                f"{other:.0%}" + (" (busy)" if other and other > BUSY_SHARE else ""),
            ]
        )
    return format_table(
        [
            "run",
            "machine busy %",
            "API ms/request",
            "PostgreSQL ms/request",
            "driver ms/request",
            "other processes",
        ],
        rows,
    )


def build_doc_section(data: dict[str, Any]) -> str:
    config = data["config"]
    verified = (
        "Verified: every finished journey booked exactly one loan, no request failed, the "
        "books balance."
        if data["verified"]
        else f"NOT verified: {'; '.join(data['failures'])}."
    )
    intro = (
        f"`{data['command']}`, {data['timestamp']}: {config['sessions']} concurrent sessions, "
        f"each walking the borrow journey ({', '.join(data['journey'])}) with a fresh borrower "
        f"per session, against `mkopo serve --workers {config['workers']}` (database pool "
        f"{config['pool_size']} per worker) on PostgreSQL, {config['seconds']} s per run after "
        f"{config['warmup_seconds']} s of warm-up; the driver is `bench/ussd/driver.py` "
        "on the benchmark's load generator (`bench/common/load.py`: asyncio, keep-alive "
        "HTTP/1.1) in the benchmark's process. One PIN check's scrypt "
        f"costs {data['kdf_ms']} ms here. {verified}"
    )
    parts = [
        "## USSD (make bench-ussd)",
        wrap_markdown(intro),
        figures_table(data),
        "Latency by hop:",
        hops_table(data),
        "CPU per request, by group of processes:",
        cpu_table(data),
        wrap_markdown(f"Machine: {machine_line(data['environment'])}."),
    ]
    parts += [wrap_markdown(line) for line in FINDINGS]
    return "\n\n".join(parts)
