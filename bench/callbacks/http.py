"""The HTTP side of the callbacks benchmark: C2B confirmations POSTed to the API by the load
generator (``bench.common.load``), against ``GET /healthz`` as the baseline.

Every confirmation has a TransID unique across the run: a letter per run, then the run's
request counter in base 36 (10 characters in all), so the inbox rows of each run can be
counted by their first letter.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from app.clock import EAT
from bench.common import load, server
from bench.common.databases import Scratch
from bench.common.report import logger

WARMUP_SECONDS = 3
AMOUNT_KES = 10
SHORTCODE = "600000"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ACK = b'"ResultCode":0'
"""In Daraja's acknowledgement: the confirmation was accepted."""

log = logger("callbacks-bench")


def trans_time() -> str:
    return datetime.now(UTC).astimezone(EAT).strftime("%Y%m%d%H%M%S")


def confirmation(receipt: str, account: str, when: str) -> dict[str, str]:
    """A C2B confirmation body as Daraja sends it (v2, masked MSISDN)."""
    return {
        "TransactionType": "Pay Bill",
        "TransID": receipt,
        "TransTime": when,
        "TransAmount": f"{AMOUNT_KES}.00",
        "BusinessShortCode": SHORTCODE,
        "BillRefNumber": account,
        "InvoiceNumber": "",
        "OrgAccountBalance": "",
        "ThirdPartyTransID": "",
        "MSISDN": "2547 ***** 126",
        "FirstName": "BENCH",
        "MiddleName": "",
        "LastName": "",
    }


def base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def c2b_requests(path: str, accounts: list[str], letter: str) -> Callable[[int], load.Request]:
    """Request n of a run: a confirmation with TransID ``letter`` + n in base 36, paying the
    account numbers in turn."""
    when = trans_time()

    def request_for(n: int) -> load.Request:
        body = confirmation(letter + base36(n, 9), accounts[n % len(accounts)], when)
        raw = json.dumps(body, separators=(",", ":")).encode()
        return load.Request("POST", path, raw, "application/json")

    return request_for


def healthy(answer: load.Answer) -> bool:
    return answer.status == 200


def acknowledged(answer: load.Answer) -> bool:
    return answer.status == 200 and ACK in answer.body


def closed_loop_run(
    api: server.Server,
    connections: int,
    seconds: float,
    request_for: Callable[[int], load.Request],
    right: Callable[[load.Answer], bool],
) -> dict[str, Any]:
    """One closed-loop run: answers counted (``right`` ones as ``acks``, HTTP errors among
    ``errors`` as wrk counts them), latencies in ms."""
    http_errors = 0

    def answered(answer: load.Answer) -> bool:
        nonlocal http_errors
        http_errors += answer.status >= 400
        return right(answer)

    tally = load.run(
        load.closed_loop(
            api.host, api.port, connections, seconds, request_for, load.Tally(), "c2b", answered
        )
    )
    every = tally.every()
    other = sum(tally.unexpected.values())
    first = request_for(0)
    return {
        "requests": len(every),
        "seconds": round(tally.seconds, 3),
        "rps": tally.per_s(),
        "bytes": tally.bytes_received,
        "errors": {kind: tally.errors[kind] for kind in ("connect", "read", "write", "timeout")}
        | {"status": http_errors},
        "latency_ms": load.latency_figures(every),
        "acks": len(every) - other,
        "other_answers": other,
        "sent": tally.sent,
        "command": (
            f"bench.common.load: {first.method} {first.path}, {connections} connections, "
            f"closed loop, {seconds:g} s"
        ),
    }


def inbox_rows(libpq_url: str, letter: str) -> int:
    """Stored confirmations of one run (their TransIDs start with its letter)."""
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM mpesa_callbacks"
            " WHERE kind = 'c2b/confirmation' AND natural_key LIKE %s",
            (f"{letter}%",),
        ).fetchone()
    return int(row[0]) if row else 0


def sessions_opened(scratch: Scratch) -> int:
    """Connections ever opened to the database (PostgreSQL 14+; 0 when unknown)."""
    with psycopg.connect(scratch.admin, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (scratch.name,)
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def api_env(scratch: Scratch, tmp: Path, **extra: str) -> dict[str, str]:
    """The API's environment for a phase: the scratch database, the seeded field keys."""
    return {
        "MKOPO_DATABASE_URL": scratch.url,
        "MKOPO_FIELD_KEYS_PATH": str(tmp / "field-keys.json"),
        "MKOPO_ENVIRONMENT": "bench",
        **extra,
    }


def http_phase(args: Any, scratch: Scratch, accounts: list[str], tmp: Path) -> dict[str, Any]:
    token = secrets.token_urlsafe(24)
    env = api_env(scratch, tmp, MKOPO_MPESA_CALLBACK_TOKEN=token)
    c2b_path = f"/callbacks/mpesa/{token}/c2b/confirmation"
    healthz = load.Request("GET", "/healthz")
    log(f"starting the API: mkopo serve --workers {args.workers}")
    api = server.start_server(env, args.workers, tmp / "server.log")

    def baseline(seconds: float) -> dict[str, Any]:
        return closed_loop_run(api, args.connections, seconds, lambda _n: healthz, healthy)

    def c2b(letter: str, seconds: float) -> dict[str, Any]:
        requests = c2b_requests(c2b_path, accounts, letter)
        return closed_loop_run(api, args.connections, seconds, requests, acknowledged)

    def measured(load_run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        opened = sessions_opened(scratch)
        figures = server.measured(api, load_run)
        figures["db_connections_opened"] = sessions_opened(scratch) - opened
        return figures

    try:
        log(f"warm-up: {WARMUP_SECONDS} s of each")
        baseline(WARMUP_SECONDS)
        warmup = c2b("W", WARMUP_SECONDS)
        log(f"baseline: GET /healthz for {args.seconds} s, {args.connections} connections")
        base = measured(lambda: baseline(args.seconds))
        log(f"  {base['rps']:,.0f} requests/s, p99 {base['latency_ms']['p99']} ms")
        log(f"C2B confirmations: POST for {args.seconds} s")
        accepted = measured(lambda: c2b("C", args.seconds))
        log(
            f"  {accepted['acks'] / accepted['seconds']:,.0f} accepted/s, "
            f"p99 {accepted['latency_ms']['p99']} ms"
        )
    finally:
        code = server.stop_server(api)
        log(f"API stopped (exit status {code})")
    accepted["inbox_rows"] = inbox_rows(scratch.libpq_url, "C")
    warmup["inbox_rows"] = inbox_rows(scratch.libpq_url, "W")
    for run in (warmup, base, accepted):  # the token is random, but a secret all the same
        run["command"] = run["command"].replace(token, "{token}")
    return {
        "baseline": base,
        "accepted": accepted,
        "warmup": warmup,
        "server_exit_status": code,
        "server_log_tail": api.log_tail(10) if server.exited_badly(code) else None,
    }


def http_failures(http: dict[str, Any], connections: int) -> list[str]:
    failures = []
    for label in ("baseline", "accepted"):
        errors = {k: v for k, v in http[label]["errors"].items() if v}
        if errors:
            failures.append(f"{label}: the load generator counted errors {errors}")
    accepted = http["accepted"]
    if accepted["other_answers"]:
        failures.append(f"{accepted['other_answers']} C2B answers were not a 200 acknowledgement")
    for label in ("accepted", "warmup"):
        run = http[label]
        extra = run["inbox_rows"] - run["acks"]
        if not 0 <= extra <= connections:
            failures.append(
                f"{label}: {run['inbox_rows']} inbox rows for {run['acks']} acknowledgements "
                f"(at most {connections} more expected: requests whose answer was lost)"
            )
    return failures
