"""The machine a benchmark ran on, recorded with its figures: CPU, cores, memory, kernel,
library versions and the PostgreSQL server's settings that move the figures."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
import psycopg

POSTGRES_SETTINGS = (
    "shared_buffers",
    "synchronous_commit",
    "fsync",
    "wal_level",
    "max_connections",
    "commit_delay",
)


def cpu_model() -> str | None:
    """The CPU's model name (psutil does not report it; /proc/cpuinfo does on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cores() -> int:
    """The cores this process may run on (as ``nproc`` counts them)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _pgbench_version() -> str | None:
    found = shutil.which("pgbench")
    if found is None:
        return None
    done = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip() or None


def postgres_description(pg_url: str) -> dict[str, Any]:
    pg: dict[str, Any] = {}
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            pg["version"] = conn.execute("SELECT version()").fetchone()[0]  # type: ignore[index]
            for setting in POSTGRES_SETTINGS:
                pg[setting] = conn.execute(f"SHOW {setting}").fetchone()[0]  # type: ignore[index]
    except psycopg.Error as exc:
        pg["error"] = str(exc)
    return pg


def machine_description(pg_url: str) -> dict[str, Any]:
    return {
        "cpu_model": cpu_model(),
        "nproc": cores(),
        "mem_total_mb": psutil.virtual_memory().total // (1024 * 1024),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlalchemy": package_version("sqlalchemy"),
        "psycopg": package_version("psycopg"),
        "postgresql": postgres_description(pg_url),
        "pgbench": _pgbench_version(),
    }


def machine_line(machine: dict[str, Any]) -> str:
    pg = machine.get("postgresql", {})
    version = str(pg.get("version", "?")).split(" on ")[0]
    return (
        f"{machine.get('cpu_model') or 'unknown CPU'}, {machine.get('nproc')} cores "
        f"(`nproc`), {machine.get('mem_total_mb')} MB RAM, Linux {machine.get('kernel')}; "
        f"{version} on the same machine (shared_buffers {pg.get('shared_buffers')}, "
        f"synchronous_commit {pg.get('synchronous_commit')}, fsync {pg.get('fsync')}); "
        f"Python {machine.get('python')}, SQLAlchemy {machine.get('sqlalchemy')}, "
        f"psycopg {machine.get('psycopg')}"
    )
