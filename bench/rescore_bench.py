"""The rescoring sweep on PostgreSQL: N borrowers due, scored by ``scoring.rescore_due``.

Run: ``.venv/bin/python -m bench.rescore_bench [--borrowers 2000]`` (``make bench-rescore``)

On a fresh database of the PostgreSQL server at ``MKOPO_BENCH_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``; used only to create and drop it):

1. migrate; store and activate a scorecard trained on 1,500 simulated borrowers;
2. insert N opted-in borrowers in bulk (simulated phone numbers, encrypted as in production),
   all due for rescoring now;
3. baseline, in this process and without the database: the same N decisions' work (the
   simulated two-year statement, its features, points, band and reasons), one at a time;
4. time the sweep as the beat task runs it (``rescore_due``: batches of 200, each borrower
   fetched outside a transaction and scored in a transaction of its own), with no time
   budget so it takes every borrower;
5. verify: one decision per borrower, every borrower's next review 120 days on, the sweep
   again finds nobody.

Then ``bench/results/rescore.json`` and the ``rescore`` section of ``docs/performance.md``
(``--docs-only`` rewrites the section from the JSON). Figures are not pass/fail; the
statement simulator's cost is inside both the baseline and the sweep (a real provider's
statement API would replace it with a network call).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from app.audit.log import Actor
from app.borrowers.models import Borrower
from app.clock import business_date
from app.db.engine import make_database
from app.db.session import Sessions
from app.lending.limits import LimitPolicy
from app.scoring.decisions import HISTORY_DAYS
from app.scoring.features import FundHistory, borrower_features
from app.scoring.models import ScoreDecision, VersionStatus
from app.scoring.schedule import DEFAULT_BUDGET_S, rescore_due
from app.scoring.simulated import simulated_phones, simulated_population
from app.scoring.training import train_scorecard
from app.scoring.versions import active_version, load_card, store_version
from app.scoring.workbench import training_config
from app.security.fields import generate_field_keys_file
from app.settings import Settings
from app.wiring import build_ports
from bench import common

OUTPUT = common.RESULTS_DIR / "rescore.json"
DOC_SECTION = "rescore"
COMMAND = ".venv/bin/python -m bench.rescore_bench"
DEFAULT_BORROWERS = 2_000
TRAINING_POPULATION = 1_500
SEED = 20261128
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
UNLIMITED_S = 10**9
BEAT_SHARE = DEFAULT_BUDGET_S / 60
"""The share of each minute the beat-scheduled sweep works."""


def log(message: str) -> None:
    print(f"[bench-rescore] {message}", file=sys.stderr, flush=True)


def clock() -> datetime:
    return NOW


def activate_card(sessions: Sessions, today: date) -> int:
    table = simulated_population(TRAINING_POPULATION, SEED, today)
    card = train_scorecard(table, training_config(table, SEED))
    with sessions.unit_of_work() as session:
        version = store_version(
            session,
            card,
            name="bench",
            metrics={},
            data_fingerprint="0" * 64,
            data_rows=len(table.bad),
            trained_by=Actor("bench", "credit_officer"),
            now=NOW,
        )
        version.status = VersionStatus.ACTIVE.value
        version.activated_at = NOW
        version.activated_by = "bench"
        return version.id


def seed_borrowers(sessions: Sessions, settings: Settings, phones: list[str]) -> None:
    cipher = build_ports(settings, clock).cipher
    rows = [
        {
            "national_id_index": f"n{i:063d}",
            "national_id_enc": "bench",
            "phone_index": f"p{i:063d}",
            "phone_enc": cipher.encrypt(phone),
            "full_name_enc": "bench",
            "date_of_birth_enc": "bench",
            "status": "active",
            "terms_version": "bench",
            "opted_in_at": NOW - timedelta(days=200),
            "pin_hash": "bench",
            "pin_failed_attempts": 0,
            "credit_limit_minor": 50_000,
            "loans_repaid_on_time": 0,
            "savings_long_minor": 0,
            "savings_short_minor": 0,
            "savings_short_held_minor": 0,
            "credit_balance_minor": 0,
            "rescore_due_at": NOW - timedelta(minutes=1),
            "rescore_trigger": "scheduled",
            "created_at": NOW - timedelta(days=200),
        }
        for i, phone in enumerate(phones)
    ]
    with sessions.unit_of_work() as session:
        session.execute(insert(Borrower), rows)


def baseline(settings: Settings, sessions: Sessions, phones: list[str]) -> dict[str, Any]:
    """The decisions' own work, without the database: statement, features, card."""
    with sessions.reader() as session:
        version = active_version(session)
        assert version is not None
        card = load_card(version)
    wallets = build_ports(settings, clock).wallets
    today = business_date(NOW)
    started = time.perf_counter()
    for phone in phones:
        statement = wallets.history(phone, today - timedelta(days=HISTORY_DAYS), today)
        card.score(borrower_features(statement, FundHistory(), today))
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "per_s": round(len(phones) / seconds, 1)}


def verify(sessions: Sessions, count: int) -> list[str]:
    failures = []
    with sessions.reader() as session:
        decisions = session.scalar(select(func.count()).select_from(ScoreDecision))
        per_borrower = session.scalar(select(func.count(func.distinct(ScoreDecision.borrower_id))))
        next_reviews = set(session.scalars(select(Borrower.rescore_due_at).distinct()))
    if decisions != count or per_borrower != count:
        failures.append(f"{decisions} decisions for {per_borrower} of {count} borrowers")
    if next_reviews != {NOW + LimitPolicy().rescore_interval}:
        failures.append(f"next reviews: {sorted(next_reviews)[:3]}")
    return failures


def run(count: int, keep: bool) -> dict[str, Any]:
    admin = common.admin_url()
    name = common.scratch_name("mkopo_rescore")
    common.create_database(admin, name)
    url = common.sqlalchemy_url(admin, name)
    try:
        common.migrate(url)
        with tempfile.TemporaryDirectory(prefix="mkopo-rescore-bench-") as workdir:
            keys = Path(workdir) / "field-keys.json"
            generate_field_keys_file(keys)
            settings = Settings(database_url=url, field_keys_path=keys, payment_provider="memory")
            database = make_database(settings)
            try:
                return measure(settings, Sessions(database), count)
            finally:
                database.dispose()
    finally:
        if keep:
            log(f"kept database {name}")
        else:
            common.drop_database(admin, name)


def measure(settings: Settings, sessions: Sessions, count: int) -> dict[str, Any]:
    log("training and activating the scorecard")
    activate_card(sessions, business_date(NOW))
    phones = simulated_phones(count, SEED + 7)
    log(f"seeding {count} borrowers")
    seed_borrowers(sessions, settings, phones)
    log("baseline: the decisions' work in-process")
    base = baseline(settings, sessions, phones)
    ports = build_ports(settings, clock)
    log("the sweep")
    started = time.perf_counter()
    result = rescore_due(sessions, ports, clock, LimitPolicy(), budget_s=UNLIMITED_S)
    seconds = time.perf_counter() - started
    again = rescore_due(sessions, ports, clock, LimitPolicy())
    failures = verify(sessions, count)
    if result.scored != count or result.failed:
        failures.append(f"sweep: {result}")
    if again.scored or again.failed:
        failures.append(f"second sweep: {again}")
    per_s = count / seconds
    return {
        "borrowers": count,
        "baseline": base,
        "sweep_seconds": round(seconds, 2),
        "sweep_per_s": round(per_s, 1),
        "ratio_to_baseline": round(per_s / base["per_s"], 3),
        "hours_per_million": round(1_000_000 / per_s / 3600, 1),
        "verified": not failures,
        "failures": failures,
    }


def build_doc_section(data: dict[str, Any]) -> str:
    base = data["baseline"]
    table = common.format_table(
        ["what", "borrowers/s", "ratio"],
        [
            ["baseline: statement + features + card, in-process", base["per_s"], 1.0],
            ["the sweep (one transaction per borrower)", data["sweep_per_s"],
             data["ratio_to_baseline"]],
        ],
    )  # fmt: skip
    verified = "verified" if data["verified"] else "NOT verified: " + "; ".join(data["failures"])
    return "\n\n".join(
        [
            "## Rescoring sweep (make bench-rescore)",
            common.wrap_markdown(
                f"`{data['command']}`, {data['timestamp']}: {data['borrowers']:,} borrowers due "
                "on PostgreSQL, scored by `rescore_due` as the beat task runs it (statement "
                "fetched outside a transaction, one transaction per borrower, row locked). The "
                "baseline is the same decisions' work without the database. The statement "
                "simulator's cost is in both."
            ),
            table,
            common.wrap_markdown(
                f"{data['sweep_seconds']} s for {data['borrowers']:,} borrowers: one worker "
                f"would take about {data['hours_per_million']} hours per million borrowers "
                f"(a first scoring of a whole book, or one 4-month cycle), about "
                f"{round(data['hours_per_million'] / BEAT_SHARE, 1)} hours as the beat task "
                f"runs it (45 s of every minute). Checks: {verified} "
                "(one decision per borrower, next review 120 days on, a second sweep finds "
                f"nobody). {common.machine_line(data['machine'])}"
            ),
        ]
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--borrowers", type=int, default=DEFAULT_BORROWERS)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--no-docs", action="store_true", help="do not touch performance.md")
    parser.add_argument("--docs-only", action="store_true", help="rewrite the docs from JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.docs_only:
        data = json.loads(args.output.read_text())
        common.replace_doc_section(DOC_SECTION, build_doc_section(data))
        return 0
    machine = common.machine_description(common.admin_url())
    data = {
        "benchmark": "rescore",
        "timestamp": common.utc_timestamp(),
        "command": " ".join([COMMAND, *argv]),
        **run(args.borrowers, args.keep_db),
        "machine": machine,
    }
    print(json.dumps({k: v for k, v in data.items() if k != "machine"}, indent=2))
    common.write_json(args.output, data)
    if not args.no_docs:
        common.replace_doc_section(DOC_SECTION, build_doc_section(data))
    return 0 if data["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
