"""The baseline of the ledger benchmark: ``pgbench`` (TPC-B-like) on a scratch database of
the same server, with the same number of clients as the ledger has writers."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

from bench.common.databases import libpq_args, scratch_database
from bench.common.measure import CpuMeter, Stopwatch, busy_pct, children_cpu_seconds
from bench.ledger import log

PGBENCH_SCALE = 10


def _pgbench(args: list[str]) -> subprocess.CompletedProcess[str]:
    command = ["pgbench", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603


def run_pgbench(clients: int, seconds: int) -> dict[str, Any]:
    with scratch_database("mkopo_bench_pgbench", log, migrated=False) as scratch:
        conn, name = libpq_args(scratch.admin), scratch.name
        log(f"pgbench: initialising scale {PGBENCH_SCALE} in {name}")
        watch = Stopwatch()
        _pgbench(["-i", "-s", str(PGBENCH_SCALE), "-q", *conn, name])
        init_s = watch.seconds()
        log(f"pgbench: running -c {clients} -j 2 -T {seconds}")
        meter, children0, watch = CpuMeter(), children_cpu_seconds(), Stopwatch()
        done = _pgbench(["-c", str(clients), "-j", "2", "-T", str(seconds), *conn, name])
        wall = watch.seconds()
        # pgbench and its backends have exited by now: what is left alive is not ours
        use = meter.read({"self": {os.getpid()}})
        client_cpu = children_cpu_seconds() - children0
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if found is None:
        raise RuntimeError(f"could not find the TPS in pgbench's output:\n{done.stdout}")
    latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    processed = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    transactions = int(processed.group(1)) if processed else 0
    busy, cores, foreign = use.busy_share, use.cores, use.spent["other_processes"]
    return {
        "tps": float(found.group(1)),
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "failed_transactions": int(failed.group(1)) if failed else None,
        "clients": clients,
        "threads": 2,
        "seconds": seconds,
        "scale": PGBENCH_SCALE,
        "init_seconds": round(init_s, 1),
        "transactions": transactions,
        "machine_cpu_busy_pct": busy_pct(use),
        "client_cpu_ms_per_txn": (
            round(client_cpu / transactions * 1000, 3) if transactions else None
        ),
        "machine_cpu_ms_per_txn": (
            round(busy * cores * wall / transactions * 1000, 3)
            if transactions and busy is not None
            else None
        ),
        "foreign_cpu_ms_per_txn": (
            round(foreign / transactions * 1000, 3) if transactions else None
        ),
        "foreign_cpu_share": (round(foreign / (busy * cores * wall), 3) if busy else None),
        "command": f"pgbench -i -s {PGBENCH_SCALE}; pgbench -c {clients} -j 2 -T {seconds}",
    }
