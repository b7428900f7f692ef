"""Measuring a run: percentiles, wall time, memory, and the one CPU meter.

``CpuMeter`` answers, for an interval: how busy was the whole machine, and whose CPU time
was it? Machine-wide counters (psutil's ``cpu_times``) give the busy share of all cores;
per-process counters give each group of pids the caller names (the API's processes, the
benchmark's PostgreSQL backends...), then PostgreSQL's background processes, any other
PostgreSQL process and everything else. A process that exits inside the interval is
missing from the per-process counters; for PostgreSQL the postmaster's reaped-children
counters recover its backends (``postgres_exited_s``, every database of the server). What
the machine spent beyond the groups is other work: a share above a few percent marks a
disturbed run.
"""

from __future__ import annotations

import math
import os
import resource
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import psutil

POSTGRES_BACKGROUND = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum",
    "logical replication",
    "stats collector",
    "archiver",
)
"""Words in the process titles of PostgreSQL's own processes (not serving a client)."""
RSS_SAMPLE_S = 0.05
MB = 1024 * 1024


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (``pct`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.start


def peak_rss() -> dict[str, float]:
    """Peak resident set sizes in MB: this process, its largest waited-for child, and both.

    ``ru_maxrss`` of RUSAGE_CHILDREN is the largest single descendant, not a sum.
    """
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return {
        "self_mb": round(self_mb, 1),
        "largest_child_mb": round(child_mb, 1),
        "self_plus_children_mb": round(self_mb + child_mb, 1),
    }


def process_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu_seconds() -> float:
    """CPU time of the waited-for children (pgbench)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def descendants(root: int) -> set[int]:
    """The pids of ``root``'s children, grandchildren..., alive now."""
    try:
        return {child.pid for child in psutil.Process(root).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


class RssSampler:
    """Samples this process's resident set size every ``interval`` seconds in a thread."""

    def __init__(self, interval: float = RSS_SAMPLE_S) -> None:
        self.interval = interval
        self._process = psutil.Process()
        self.start_mb = self._rss_mb()
        self.peak_mb = self.start_mb
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _rss_mb(self) -> float:
        return float(self._process.memory_info().rss) / MB

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._rss_mb())
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss_mb())

    def figures(self) -> dict[str, float | int | None]:
        """At the start, the peak, the growth (MB) and how many samples were taken."""
        return {
            "at_start": round(self.start_mb, 1),
            "peak": round(self.peak_mb, 1),
            "growth": round(self.peak_mb - self.start_mb, 1),
            "samples": self.samples,
        }


# -- CPU ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Process:
    name: str
    cpu_s: float
    """User + system seconds so far."""
    reaped_children_s: float
    """User + system seconds of its exited children it has waited for."""
    parent: int


def _processes() -> dict[int, _Process]:
    table = {}
    for process in psutil.process_iter(["name", "ppid", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is None:  # exited meanwhile, or not ours to read
            continue
        table[process.pid] = _Process(
            process.info["name"] or "",
            times.user + times.system,
            times.children_user + times.children_system,
            process.info["ppid"] or 0,
        )
    return table


def _is_postgres(process: _Process | None) -> bool:
    return process is not None and process.name.startswith("postgres")


def _postgres_background(table: Mapping[int, _Process]) -> set[int]:
    """PostgreSQL's own processes (checkpointer, WAL writer, autovacuum...), by title."""
    pids = set()
    for pid, process in table.items():
        if not _is_postgres(process):
            continue
        try:
            title = " ".join(psutil.Process(pid).cmdline())
        except psutil.Error:
            continue
        if title.startswith("postgres:") and any(w in title for w in POSTGRES_BACKGROUND):
            pids.add(pid)
    return pids


def _postmasters(table: Mapping[int, _Process]) -> set[int]:
    """Processes named postgres whose parent is not: the server's postmaster(s)."""
    return {
        pid
        for pid, process in table.items()
        if _is_postgres(process) and not _is_postgres(table.get(process.parent))
    }


def _machine_ticks() -> tuple[float, float]:
    """(busy, total) CPU seconds of all cores so far; iowait counts as idle, and guest time
    is inside user already."""
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    parts = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    total = sum(getattr(t, name, 0.0) for name in parts)
    return total - idle, total


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds spent in one measured interval."""

    wall_s: float
    busy_share: float | None
    """Share of all cores' time spent busy (0..1); None when the counters did not move."""
    cores: int
    spent: dict[str, float]
    """By the caller's groups in order, then ``postgres_background``, ``other_postgres``
    (PostgreSQL processes in no group) and ``other_processes``."""
    postgres_exited_s: float
    """PostgreSQL processes that exited in the interval (the postmasters' reaped children)."""

    @property
    def machine_s(self) -> float | None:
        return None if self.busy_share is None else self.busy_share * self.wall_s * self.cores

    def postgres_s(self, *groups: str) -> float:
        """All of PostgreSQL: background, ungrouped, exited, and the named groups of it."""
        named = sum(self.spent.get(group, 0.0) for group in groups)
        background = self.spent["postgres_background"] + self.spent["other_postgres"]
        return background + self.postgres_exited_s + named

    def beyond(self, accounted_s: float) -> tuple[float | None, float | None]:
        """The machine's CPU seconds beyond ``accounted_s``, and their share of the machine's."""
        machine = self.machine_s
        if machine is None:
            return None, None
        other = max(machine - accounted_s, 0.0)
        return other, (other / machine if machine else None)


class CpuMeter:
    """CPU time from construction to ``read``: the machine, groups of pids, the rest."""

    def __init__(self) -> None:
        self._table = _processes()
        self._background = _postgres_background(self._table)
        self._postmasters = _postmasters(self._table)
        self._busy, self._total = _machine_ticks()
        self._watch = Stopwatch()

    def read(self, groups: Mapping[str, Iterable[int]] | None = None) -> CpuUse:
        """``groups`` are matched in order; a pid in two counts in the first."""
        wall = self._watch.seconds()
        busy, total = _machine_ticks()
        after = _processes()
        background = self._background | _postgres_background(after)
        ordered = [(name, set(pids)) for name, pids in (groups or {}).items()]
        ordered.append(("postgres_background", background))
        spent = dict.fromkeys([name for name, _ in ordered], 0.0)
        spent |= {"other_postgres": 0.0, "other_processes": 0.0}
        for pid, process in after.items():
            before = self._table.get(pid)
            delta = max(process.cpu_s - (before.cpu_s if before else 0.0), 0.0)
            group = next((name for name, pids in ordered if pid in pids), None)
            if group is None:
                group = "other_postgres" if _is_postgres(process) else "other_processes"
            spent[group] += delta
        exited = 0.0
        for pid in self._postmasters:
            if pid in after:
                exited += after[pid].reaped_children_s - self._table[pid].reaped_children_s
        elapsed = total - self._total
        share = None if elapsed <= 0 else (busy - self._busy) / elapsed
        return CpuUse(wall, share, psutil.cpu_count() or 1, spent, exited)


def process_groups(
    use: CpuUse, groups: Sequence[str], postgres: Sequence[str] = ()
) -> dict[str, float | None]:
    """An HTTP benchmark's interval: the machine, each of ``groups`` (``<group>_cpu_s``),
    all of PostgreSQL (``postgres`` names the groups that are PostgreSQL processes, counted
    there too), and the rest of the machine."""
    postgres_s = use.postgres_s(*postgres)
    other, share = use.beyond(postgres_s + sum(use.spent[g] for g in groups if g not in postgres))
    return {
        "wall_s": round(use.wall_s, 3),
        "machine_busy_pct": busy_pct(use),
        "machine_cpu_s": rounded(use.machine_s, 2),
        **{f"{g}_cpu_s": round(use.spent[g], 2) for g in groups},
        "postgres_cpu_s": round(postgres_s, 2),
        "postgres_exited_backends_cpu_s": round(use.postgres_exited_s, 2),
        "postgres_background_cpu_s": round(use.spent["postgres_background"], 2),
        "other_cpu_s": rounded(other, 2),
        "other_share": rounded(share, 3),
    }


def job_figures(meter: CpuMeter, backends: set[int]) -> dict[str, float | None]:
    """A batch job in this process since ``meter`` started: what it cost here (``bench``)
    and in its PostgreSQL ``backends``, PostgreSQL's background, and the rest ("foreign")."""
    use = meter.read({"bench": {os.getpid()}, "backends": backends})
    bench, backends_s = use.spent["bench"], use.spent["backends"]
    background = use.spent["postgres_background"]
    foreign, share = use.beyond(bench + backends_s + background)
    return {
        "machine_busy_pct": busy_pct(use),
        "machine_cpu_s": rounded(use.machine_s, 2),
        "bench_process_cpu_s": round(bench, 2),
        "bench_backends_cpu_s": round(backends_s, 2),
        "postgres_background_cpu_s": round(background, 2),
        "foreign_cpu_s": rounded(foreign, 2),
        "foreign_share": rounded(share, 3),
        "bench_process_cores": round(bench / use.wall_s, 2) if use.wall_s else None,
    }


def busy_pct(use: CpuUse) -> float | None:
    return rounded(None if use.busy_share is None else use.busy_share * 100, 1)
