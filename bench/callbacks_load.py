"""The HTTP side of the callbacks benchmark: the API under uvicorn as a subprocess, and wrk.

``wrk`` runs closed-loop on loopback (each connection sends its next request when the
previous answer arrives), with a Lua script whose ``done()`` prints one ``WRK_JSON {...}``
line: the request count, socket errors, latency percentiles (microseconds) and, for the C2B
script, how many answers were HTTP 200 with Daraja's acknowledgement. Every C2B
confirmation has a TransID unique across the run: a letter per wrk invocation, a character
per wrk thread, then that thread's counter in base 36 (10 characters in all).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import common

WRK_THREADS = 2
"""One wrk thread per core of the 2-core machine the aims are set for."""
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
WRK_GRACE_S = 60.0
"""How much longer than ``--duration`` wrk may take before it is treated as hung."""
MAX_WRK_THREADS = 36
"""A TransID has one base-36 character for the thread."""

LUA_COMMON = r"""
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function sum_of(name)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get(name) or 0) end
  return total
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"stdev":%.1f,"p50":%d,"p75":%d,' ..
    '"p90":%d,"p99":%d,"p999":%d},"acks":%d,"other_answers":%d,"sent":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev, latency:percentile(50),
    latency:percentile(75), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), sum_of("acks"), sum_of("other_answers"), sum_of("sent")))
end
"""

LUA_C2B = r"""
local ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
local BODY = '{"TransactionType":"Pay Bill","TransID":"%s","TransTime":"%s",' ..
  '"TransAmount":"%s","BusinessShortCode":"%s","BillRefNumber":"%s","InvoiceNumber":"",' ..
  '"OrgAccountBalance":"","ThirdPartyTransID":"","MSISDN":"2547 ***** 126",' ..
  '"FirstName":"BENCH","MiddleName":"","LastName":""}'

local function base36(n, width)
  local out = {}
  for i = width, 1, -1 do
    local d = n % 36
    out[i] = ALPHABET:sub(d + 1, d + 1)
    n = (n - d) / 36
  end
  return table.concat(out)
end

-- args: accounts file, run letter, TransTime, TransAmount, shortcode, wrk threads
function init(args)
  accounts = {}
  for line in io.lines(args[1]) do accounts[#accounts + 1] = line end
  prefix = args[2] .. ALPHABET:sub(tid + 1, tid + 1)
  trans_time, amount, shortcode = args[3], args[4], args[5]
  position = math.floor(#accounts * tid / tonumber(args[6]))
  sent, acks, other_answers = 0, 0, 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  position = position % #accounts + 1
  local body = string.format(BODY, prefix .. base36(sent, 8), trans_time, amount, shortcode,
    accounts[position])
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 200 and body:find('"ResultCode":0', 1, true) then
    acks = acks + 1
  else
    other_answers = other_answers + 1
  end
end
"""


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk is not installed: `apt-get install wrk` (Debian/Ubuntu), then run again"
        )
    return found


def write_scripts(directory: Path) -> dict[str, Path]:
    """The baseline script (only ``done()``: wrk keeps its fast path) and the C2B script."""
    scripts = {"baseline": LUA_COMMON, "c2b": LUA_COMMON + LUA_C2B}
    paths = {}
    for name, text in scripts.items():
        path = directory / f"{name}.lua"
        path.write_text(text)
        paths[name] = path
    return paths


@dataclass(frozen=True)
class WrkRun:
    url: str
    script: Path
    seconds: int
    connections: int
    threads: int
    script_args: tuple[str, ...] = ()


def run_wrk(run: WrkRun) -> dict[str, Any]:
    """Run wrk once; its ``WRK_JSON`` line, plus rps and latencies in ms."""
    if not 1 <= run.threads <= MAX_WRK_THREADS:
        raise ValueError(f"wrk threads must be 1..{MAX_WRK_THREADS}")
    command = [
        require_wrk(),
        f"-t{run.threads}",
        f"-c{run.connections}",
        f"-d{run.seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(run.script),
        run.url,
    ]
    if run.script_args:
        command += ["--", *run.script_args]
    before = common.children_cpu_seconds()
    done = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=run.seconds + WRK_GRACE_S, check=False
    )
    wrk_cpu_s = common.children_cpu_seconds() - before
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no WRK_JSON line:\n{done.stdout}\n{done.stderr}")
    data: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    seconds = data["duration_us"] / 1e6
    latency = data["latency_us"]
    data.update(
        {
            "seconds": round(seconds, 3),
            "rps": round(data["requests"] / seconds, 1) if seconds else None,
            "latency_ms": {k: round(v / 1000, 2) for k, v in latency.items() if k != "stdev"},
            "wrk_cpu_s": round(wrk_cpu_s, 2),
            "command": " ".join(["wrk", *command[1:]]),
        }
    )
    return data


# -- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    workers: int

    def pids(self) -> set[int]:
        """The uvicorn process and its descendants (the worker processes)."""
        return descendants(self.process.pid) | {self.process.pid}

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(raw[raw.rindex(")") + 2 :].split()[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def start_server(env: dict[str, str], workers: int, log_path: Path) -> Server:
    """``mkopo serve`` on a free loopback port; returns once ``/healthz`` answers."""
    port = free_port()
    mkopo = common.ROOT / ".venv" / "bin" / "mkopo"
    command = [str(mkopo), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(  # noqa: S603
            command,
            env={**os.environ, **env},
            cwd=common.ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped together
        )
    server = Server(process, f"http://127.0.0.1:{port}", log_path, workers)
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


def wrk_version() -> str | None:
    """wrk prints its version (and usage) on stderr when run without a URL."""
    found = shutil.which("wrk")
    if found is None:
        return None
    done = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].split(" Copyright")[0] if lines else None
