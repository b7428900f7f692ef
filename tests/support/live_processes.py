"""Processes and servers for the live tests: free loopback ports, uvicorn in a thread, a
``mkopo`` command as a child process in its own process group, and polling with a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

T = TypeVar("T")
LOG_TAIL_CHARS = 4000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(check: Callable[[], T], timeout_s: float, what: str) -> T:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s: {what}")
        time.sleep(0.1)


class ServerThread:
    """uvicorn serving ``app`` on a loopback port, in a daemon thread."""

    def __init__(self, app: FastAPI, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        self.thread.start()
        wait_until(lambda: self.server.started, 20, "uvicorn did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@dataclass
class MkopoProcess:
    """``python -m app.cli <args>`` in its own process group, its output in ``<name>.log``."""

    name: str
    args: list[str]
    root: Path
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.root / f"{self.name}.log"

    def start(self) -> None:
        assert not self.alive()
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(  # noqa: S603  (our interpreter, our arguments)
                [sys.executable, "-m", "app.cli", *self.args],
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: signalled as a whole
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def kill(self) -> None:
        """SIGKILL it and its children: no chance to finish or acknowledge anything."""
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout_s: float = 15) -> int | None:
        """SIGTERM to the main process only, as a supervisor sends it; SIGKILL after the
        timeout. Returns the exit status (None if it had to be killed)."""
        if self.popen is None or self.popen.poll() is not None:
            return self.returncode
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)
            return None

    def log(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def log_tail(self) -> str:
        return f"--- {self.name}.log ---\n{self.log()[-LOG_TAIL_CHARS:]}"

    def logged_pid(self, event: str) -> int:
        """The pid named by the last JSON log record of ``event`` (Celery may prefix it)."""
        pids = []
        for line in self.log().splitlines():
            if f'"{event}"' in line and "{" in line:
                record = json.loads(line[line.index("{") :])
                if record.get("event") == event:
                    pids.append(int(record["pid"]))
        assert pids, f"{self.name} never logged {event}"
        return pids[-1]
