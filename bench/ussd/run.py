"""One run of the USSD benchmark: seed the borrowers, drive the API, check the books."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from app.accounting.chart import open_chart
from app.borrowers.service import prepare_pin
from app.clock import system_clock
from app.db.session import Sessions
from app.security.fields import FieldCrypto
from app.security.pins import PepperKey, PinHasher
from bench.common import seed, server
from bench.common.report import logger
from bench.ussd.driver import BROWSE, JOURNEY, PIN, Load, run_baseline, run_journeys, run_paced
from ledger import Ledger

CREDIT_LIMIT_MINOR = 5_000 * 100
CAPITAL_MINOR = 1_000_000_000 * 100
FIRST_SUBSCRIBER = 10_000_000
"""Phones are ``+2547`` and eight digits from here: one per borrower."""
WARMUP_SECONDS = 3
PACED_SHARE = 0.5
"""The paced run offers this share of the closed-loop capacity (hops/s)."""
PACED_THINK_S = 1.0
"""Seconds a paced handset waits before each input (people take longer; the latency at a
given offered load hardly depends on it, the run's length does)."""

log = logger("ussd-bench")


def phone_of(number: int) -> str:
    return f"+2547{FIRST_SUBSCRIBER + number:08d}"


def seed_borrowers(
    libpq_url: str, sessions: Sessions, crypto: FieldCrypto, count: int
) -> list[str]:
    """The chart, capital in the float, ``count`` opted-in borrowers found by their phone
    (its blind index) with one PIN's hash (hashing 20,000 PINs would take minutes); their
    phone numbers. Every loan the run books is then a real ledger hold."""
    with sessions.unit_of_work() as session:
        ledger = Ledger(session, system_clock)
        accounts = open_chart(ledger)
        seed.post_capital(ledger, accounts, CAPITAL_MINOR, "bench:ussd:capital")
    phones = [phone_of(i) for i in range(1, count + 1)]
    indexes = [crypto.blind_index.digest("msisdn", phone.removeprefix("+")) for phone in phones]
    with seed.bulk(libpq_url, count, ["borrowers"]) as conn:
        seed.insert_borrowers(
            conn,
            count,
            system_clock(),
            phone_indexes=indexes,
            pin_hash=prepare_pin(crypto.pins, PIN),
            score_band="B2",
            credit_limit_minor=CREDIT_LIMIT_MINOR,
        )
    return phones


def kdf_ms() -> float:
    """One PIN check's HMAC and scrypt, in this process (median of 10)."""
    pins = PinHasher([PepperKey("bench", os.urandom(32))])
    stored = prepare_pin(pins, PIN)
    times = []
    for _ in range(10):
        started = time.perf_counter()
        pins.verify_pin(PIN, stored)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def _measured(label: str, api: server.Server, load: Any) -> dict[str, Any]:
    result = server.measured(api, load)
    cpu, hops = result["cpu"], result["hops"] or 1
    result["cpu_ms_per_hop"] = {
        group: round(cpu[f"{group}_cpu_s"] * 1000 / hops, 2)
        for group in ("api", "postgres", "driver")
    }
    log(
        f"  {label}: {result['per_s']:,.0f}/s, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms, machine {cpu['machine_busy_pct']}% busy"
    )
    return result


def http_phase(args: Any, url: str, keys: Path, phones: Iterator[str]) -> dict[str, Any]:
    env = {
        "MKOPO_DATABASE_URL": url,
        "MKOPO_FIELD_KEYS_PATH": str(keys),
        "MKOPO_BROKER_URL": "memory://",
        "MKOPO_DATABASE_POOL_SIZE": str(args.pool_size),
        "MKOPO_ENVIRONMENT": "bench",
    }
    log(f"starting the API: mkopo serve --workers {args.workers}")
    api = server.start_server(env, args.workers, keys.parent / "server.log")

    def spec(seconds: float, hops: tuple[tuple[str, str, str], ...] = JOURNEY) -> Load:
        return Load(api.host, api.port, args.sessions, seconds, hops)

    try:
        log(f"warm-up: {WARMUP_SECONDS} s of each")
        run_baseline(spec(WARMUP_SECONDS))
        warmup = run_journeys(spec(WARMUP_SECONDS), phones, "W")
        log(f"baseline: GET /healthz for {args.seconds} s, {args.sessions} connections")
        baseline = _measured("healthz", api, lambda: run_baseline(spec(args.seconds)))
        log(f"journeys closed-loop: {args.sessions} sessions for {args.seconds} s")
        closed = _measured("hops", api, lambda: run_journeys(spec(args.seconds), phones, "C"))
        log(f"browsing closed-loop (the hops before the PIN): {args.seconds} s")
        browse_spec = spec(args.seconds, BROWSE)
        browse = _measured("browse hops", api, lambda: run_journeys(browse_spec, phones, "B"))
        offered = max(closed["per_s"] * PACED_SHARE, 1.0)
        rate = offered / len(JOURNEY)
        log(f"journeys paced: {rate:.1f} sessions/s ({offered:.0f} hops/s offered)")
        paced = _measured(
            "paced hops",
            api,
            lambda: run_paced(spec(args.seconds), phones, "P", rate, PACED_THINK_S),
        )
        paced.update(offered_hops_per_s=round(offered, 1), think_s=PACED_THINK_S)
    finally:
        code = server.stop_server(api)
        log(f"API stopped (exit status {code})")
    return {
        "baseline": baseline,
        "closed": closed,
        "browse": browse,
        "paced": paced,
        "warmup": warmup,
        "server_exit_status": code,
        "server_log_tail": api.log_tail(10) if server.exited_badly(code) else None,
    }


def verify(libpq: str, sessions: Sessions, http: dict[str, Any]) -> list[str]:
    failures = []
    for label in ("closed", "browse", "paced", "baseline"):
        run = http[label]
        if run["errors"] or run["unexpected_answers"]:
            failures.append(f"{label}: {run['errors']} errors, {run['unexpected_answers']}")
    done = sum(http[label]["journeys_done"] for label in ("warmup", "closed", "paced"))
    with psycopg.connect(libpq, autocommit=True) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT borrower_id) FROM payouts").fetchone()
    payouts, borrowers = (int(row[0]), int(row[1])) if row else (0, 0)
    if payouts != done or borrowers != done:
        failures.append(f"{done} journeys finished but {payouts} payouts for {borrowers} people")
    with sessions.reader() as session:
        balance = Ledger(session, system_clock).trial_balance().net_by_currency
    if balance != {"KES": 0}:
        failures.append(f"the trial balance is {balance}")
    return failures
