"""Airtel Money collection callbacks in the callbacks benchmark: accepted over HTTP by the
same API, then processed by the worker's own ``process_pending`` with the Airtel client, whose
enquiry the Airtel simulator answers (``bench.callbacks.airtel_sim``).

After the M-Pesa phases (so the two providers' processing figures do not mix):

1. start the API again (same workers, connections and seconds), warm it up, then POST
   collection callbacks ``{"transaction": {"id", "message", "status_code": "TS",
   "airtel_money_id"}}`` to ``/callbacks/airtel/{token}/collection``, each with a unique id
   (a letter, then the request counter in base 36). Accepted = HTTP 200 with the ack;
2. for every callback stored, insert the USSD push it answers (``stk_requests``: Airtel, sent,
   KES 10, on loan ``n % loans + 1``) and a successful collection in the simulator, as if
   the push had been made: the app applies a collection only to a push of its own, and only
   on Airtel's word (the enquiry);
3. time ``process_pending`` with the Airtel client until nothing is left: per callback, one
   enquiry to the simulator (HTTP, loopback, the simulator in this process) and one
   transaction (the push settled, a repayment allocated and posted to the Airtel float);
4. verify every stored callback became one repayment and one ledger entry.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from app.db.session import Sessions
from app.mpesa.processing import process_pending
from bench.callbacks import airtel_sim, http
from bench.callbacks.process import CLOCK, blind_index_from
from bench.common import load, server
from bench.common.databases import Scratch
from bench.common.measure import CpuMeter, Stopwatch, process_groups
from ledger import Ledger

KIND = "airtel/collection"
MEASURED, WARMUP = "A", "V"
ACK = b'"success":true'
log = http.log


def collection_callback(tx_id: str) -> dict[str, Any]:
    """A successful collection's callback as Airtel sends it (no hash: no secret is set)."""
    receipt = airtel_sim.receipt_of(tx_id)
    return {
        "transaction": {
            "id": tx_id,
            "message": "Paid KES 10",
            "status_code": "TS",
            "airtel_money_id": receipt,
        }
    }


def collection_requests(path: str, letter: str) -> Callable[[int], load.Request]:
    def request_for(n: int) -> load.Request:
        body = collection_callback(letter + http.base36(n, 9))
        raw = json.dumps(body, separators=(",", ":")).encode()
        return load.Request("POST", path, raw, "application/json")

    return request_for


def acknowledged(answer: load.Answer) -> bool:
    return answer.status == 200 and ACK in answer.body


def stored_ids(libpq_url: str, letter: str | None = None) -> list[str]:
    """Transaction ids of the stored collection callbacks (of one run), in arrival order."""
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT natural_key FROM mpesa_callbacks WHERE kind = %s AND natural_key LIKE %s"
            " ORDER BY id",
            (KIND, f"{letter or ''}%"),
        ).fetchall()
    return [str(row[0]).split(":")[0] for row in rows]


def http_phase(args: Any, scratch: Scratch, tmp: Path) -> dict[str, Any]:
    token = secrets.token_urlsafe(24)
    env = http.api_env(scratch, tmp, MKOPO_AIRTEL_CALLBACK_TOKEN=token)
    path = f"/callbacks/airtel/{token}/collection"
    log(f"starting the API again for Airtel: mkopo serve --workers {args.workers}")
    api = server.start_server(env, args.workers, tmp / "server-airtel.log")

    def run(letter: str, seconds: float) -> dict[str, Any]:
        requests = collection_requests(path, letter)
        return http.closed_loop_run(api, args.connections, seconds, requests, acknowledged)

    try:
        log(f"warm-up: {http.WARMUP_SECONDS} s")
        warmup = run(WARMUP, http.WARMUP_SECONDS)
        log(f"Airtel collection callbacks: POST for {args.seconds} s")
        accepted = server.measured(api, lambda: run(MEASURED, args.seconds))
        log(
            f"  {accepted['acks'] / accepted['seconds']:,.0f} accepted/s, "
            f"p99 {accepted['latency_ms']['p99']} ms"
        )
    finally:
        code = server.stop_server(api)
        log(f"API stopped (exit status {code})")
    accepted["inbox_rows"] = len(stored_ids(scratch.libpq_url, MEASURED))
    warmup["inbox_rows"] = len(stored_ids(scratch.libpq_url, WARMUP))
    for figures in (warmup, accepted):
        figures["command"] = figures["command"].replace(token, "{token}")
    return {
        "accepted": accepted,
        "warmup": warmup,
        "server_exit_status": code,
        "server_log_tail": api.log_tail(10) if server.exited_badly(code) else None,
    }


def insert_pushes(libpq_url: str, tx_ids: list[str], loans: int, amount_minor: int) -> None:
    """The USSD pushes the callbacks answer: sent through Airtel, one per id."""
    now = CLOCK()
    rows = [
        (f"bench:airtel:{tx_id}", n % loans + 1, n % loans + 1, amount_minor, tx_id, now)
        for n, tx_id in enumerate(tx_ids)
    ]
    with psycopg.connect(libpq_url) as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO stk_requests (idempotency_key, borrower_id, loan_id, amount_minor,"
            " network, status, checkout_id, attempts, created_at)"
            " VALUES (%s, %s, %s, %s, 'airtel', 'sent', %s, 1, %s)",
            rows,
        )


def processing_phase(args: Any, scratch: Scratch, sessions: Sessions, tmp: Path) -> dict[str, Any]:
    amount_minor = http.AMOUNT_KES * 100
    tx_ids = stored_ids(scratch.libpq_url)
    insert_pushes(scratch.libpq_url, tx_ids, args.loans, amount_minor)
    scratch.checkpoint()
    blind_index = blind_index_from(tmp / "field-keys.json")
    state = airtel_sim.paid_collections(tx_ids, amount_minor)
    log(f"processing {len(tx_ids):,} stored Airtel callbacks (an enquiry each)")
    with airtel_sim.served(state) as airtel:
        meter = CpuMeter()
        watch = Stopwatch()
        selected = 0
        while found := process_pending(sessions, CLOCK, blind_index, airtel=airtel):
            selected += found
        seconds = watch.seconds()
        use = meter.read({"worker": {os.getpid()}, "backends": scratch.backend_pids()})
        cpu = process_groups(use, ("worker", "backends"), postgres=("backends",))
    per_s = round(len(tx_ids) / seconds, 1) if seconds else None
    log(f"  {len(tx_ids):,} in {seconds:.1f} s: {per_s or 0:,.0f}/s")
    figures = books(scratch.libpq_url, sessions)
    return {
        "timed": {
            "seconds": round(seconds, 3),
            "selected": selected,
            "callbacks": len(tx_ids),
            "processed_per_s": per_s,
            "cpu": cpu,
        },
        "books": figures,
        "failures": failures_of(figures, len(tx_ids), amount_minor),
    }


def books(libpq_url: str, sessions: Sessions) -> dict[str, Any]:
    with psycopg.connect(libpq_url, autocommit=True) as conn:

        def one(sql: str, *params: Any) -> int:
            row = conn.execute(sql, params).fetchone()
            return int(row[0]) if row and row[0] is not None else 0

        statuses = conn.execute(
            "SELECT status, count(*) FROM mpesa_callbacks WHERE kind = %s GROUP BY status",
            (KIND,),
        ).fetchall()
        figures: dict[str, Any] = {
            "callbacks_by_status": {str(k): int(v) for k, v in statuses},
            "pushes_succeeded": one(
                "SELECT count(*) FROM stk_requests WHERE network = 'airtel' AND status = %s",
                "succeeded",
            ),
            "repayments": one("SELECT count(*) FROM repayments WHERE channel = 'stk'"),
            "repaid_minor": one(
                "SELECT coalesce(sum(amount_minor), 0) FROM repayments WHERE channel = 'stk'"
            ),
            "repayment_entries": one(
                "SELECT count(*) FROM ledger_entries WHERE idempotency_key LIKE %s",
                "repayment:airtel:%",
            ),
        }
    with sessions.reader() as session:
        ledger = Ledger(session, CLOCK)
        figures["airtel_float_minor"] = ledger.account_by_code("1011").balance.posted_minor
        figures["trial_balance_net"] = ledger.trial_balance().net_by_currency
    return figures


def failures_of(figures: dict[str, Any], stored: int, amount_minor: int) -> list[str]:
    """Every stored callback became exactly one settled push, repayment and entry."""
    failures = []
    statuses = figures["callbacks_by_status"]
    if statuses.get("processed", 0) != stored:
        failures.append(f"airtel: {statuses.get('processed', 0)} of {stored} callbacks processed")
    for key in ("pushes_succeeded", "repayments", "repayment_entries"):
        if figures[key] != stored:
            failures.append(f"airtel: {figures[key]} {key.replace('_', ' ')} for {stored}")
    for total in ("repaid_minor", "airtel_float_minor"):
        if figures[total] != stored * amount_minor:
            failures.append(f"airtel: {total} {figures[total]}, not {stored * amount_minor}")
    if any(figures["trial_balance_net"].values()):
        failures.append(f"airtel: trial balance not zero: {figures['trial_balance_net']}")
    return failures


def http_failures(phase: dict[str, Any], connections: int) -> list[str]:
    failures = []
    accepted = phase["accepted"]
    errors = {k: v for k, v in accepted["errors"].items() if v}
    if errors:
        failures.append(f"airtel: the load generator counted errors {errors}")
    if accepted["other_answers"]:
        failures.append(f"airtel: {accepted['other_answers']} answers were not an ack")
    for label in ("accepted", "warmup"):
        run = phase[label]
        extra = run["inbox_rows"] - run["acks"]
        if not 0 <= extra <= connections:
            failures.append(
                f"airtel {label}: {run['inbox_rows']} inbox rows for {run['acks']} acks"
            )
    return failures
