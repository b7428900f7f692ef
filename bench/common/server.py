"""The API under test: ``mkopo serve`` (uvicorn) as a subprocess on a free loopback port.

It runs in a process group of its own, so stopping it (SIGTERM, then SIGKILL if it does
not exit) stops its worker processes too; its output goes to a log file whose tail is
reported when it exits badly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common.measure import CpuMeter, descendants, process_groups
from bench.common.report import ROOT

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    host: str
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def pids(self) -> set[int]:
        """The uvicorn process and its descendants (the worker processes)."""
        return descendants(self.process.pid) | {self.process.pid}

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_server(env: dict[str, str], workers: int, log_path: Path) -> Server:
    """``mkopo serve`` with ``env`` added; returns once ``/healthz`` answers."""
    port = free_port()
    command = [str(ROOT / ".venv" / "bin" / "mkopo"), "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(  # noqa: S603
            command,
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped together
        )
    server = Server(process, "127.0.0.1", port, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the API exited with {process.returncode}:\n{server.log_tail()}")
        # With --workers > 1 the first worker may answer before the others have started.
        started = len(descendants(process.pid)) >= workers if workers > 1 else True
        if started and _answers(f"{server.base_url}/healthz"):
            return server
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"the API did not answer /healthz in {READY_TIMEOUT_S} s")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def stop_server(server: Server) -> int | None:
    """SIGTERM to the server's process group (graceful), SIGKILL if it does not exit."""
    process = server.process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT_S)
    return process.returncode


def exited_badly(code: int | None) -> bool:
    """Anything but a clean exit or the SIGTERM we sent."""
    return code not in (0, -signal.SIGTERM)


def measured(server: Server, load: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``load()``'s figures with ``cpu``: the CPU it took, by group: the API's processes,
    this process (``driver``, the load generator), PostgreSQL and the rest of the machine."""
    meter = CpuMeter()
    figures = load()
    use = meter.read({"api": server.pids(), "driver": {os.getpid()}})
    figures["cpu"] = process_groups(use, ("api", "driver"))
    return figures
