"""CPU seconds by group of processes over a measured interval, PostgreSQL's exited backends
included (for the callbacks benchmark).

``common.attribute_cpu`` sees only processes alive at both ends of the interval. Under load
the API's connection pool opens and closes backends, so most of PostgreSQL's work can be
done by backends that have exited by the end; the kernel adds an exited child's CPU time to
its parent's ``cutime``/``cstime`` when it is reaped, so the postmaster's children counters
recover it (for every database of the server, not only the benchmark's).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench import common
from bench.accrual_bench import postgres_background_pids

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> tuple[str, list[str]] | None:
    try:
        raw = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return None
    return raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()


def postmaster_pids() -> set[int]:
    """Processes named postgres whose parent is not: the server's postmaster(s)."""
    names: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _stat_fields(int(entry.name))
            if found is not None:
                names[int(entry.name)] = (found[0], int(found[1][1]))
    return {
        pid
        for pid, (name, parent) in names.items()
        if name.startswith("postgres") and not names.get(parent, ("", 0))[0].startswith("postgres")
    }


def reaped_children_cpu_s(pids: set[int]) -> float:
    """CPU seconds of the exited, reaped children of ``pids`` (cutime + cstime)."""
    total = 0
    for pid in pids:
        found = _stat_fields(pid)
        if found is not None:
            total += int(found[1][13]) + int(found[1][14])
    return total / _CLOCK_TICKS


class CpuMeter:
    """CPU seconds between construction and ``result``: the machine, the given groups of
    pids, all of PostgreSQL, an external child (``wrk``, from ``getrusage``), and the rest."""

    def __init__(self) -> None:
        self.watch = common.Stopwatch()
        self.machine = common.CpuSample.take()
        self.table = common.process_cpu_table()
        self.postmasters = postmaster_pids()
        self.reaped = reaped_children_cpu_s(self.postmasters)

    def result(self, groups: dict[str, set[int]], child_cpu_s: float = 0.0) -> dict[str, Any]:
        """``groups`` may include ``backends`` (PostgreSQL pids: counted inside postgres)."""
        wall = self.watch.seconds()
        busy = common.CpuSample.take().busy_share_since(self.machine)
        after = common.process_cpu_table()
        reaped = reaped_children_cpu_s(self.postmasters) - self.reaped
        background = postgres_background_pids()
        spent = common.attribute_cpu(self.table, after, {**groups, "pg_background": background})
        postgres = spent["other_postgres"] + spent["pg_background"] + reaped
        postgres += spent.get("backends", 0.0)
        ours = (
            postgres
            + child_cpu_s
            + sum(v for g, v in spent.items() if g in groups and g != "backends")
        )
        machine_s = None if busy is None else busy * wall * (os.cpu_count() or 1)
        other = None if machine_s is None else max(machine_s - ours, 0.0)
        return {
            "wall_s": round(wall, 3),
            "machine_busy_pct": common.rounded(None if busy is None else busy * 100, 1),
            "machine_cpu_s": common.rounded(machine_s, 2),
            **{f"{g}_cpu_s": round(spent[g], 2) for g in groups},
            "postgres_cpu_s": round(postgres, 2),
            "postgres_exited_backends_cpu_s": round(reaped, 2),
            "postgres_background_cpu_s": round(spent["pg_background"], 2),
            "child_cpu_s": round(child_cpu_s, 2),
            "other_cpu_s": common.rounded(other, 2),
            "other_share": common.rounded(
                other / machine_s if other is not None and machine_s else None, 3
            ),
        }
