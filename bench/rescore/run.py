"""One run of the rescoring benchmark: a scorecard, N borrowers due, the baseline and the
sweep, then the checks."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from app.audit.log import Actor
from app.bootstrap import build_ports
from app.borrowers.models import Borrower
from app.clock import business_date
from app.db.session import Sessions
from app.lending.limits import LimitPolicy
from app.scoring.decisions import HISTORY_DAYS
from app.scoring.features import FundHistory, borrower_features
from app.scoring.models import ScoreDecision, VersionStatus
from app.scoring.schedule import rescore_due
from app.scoring.simulated import simulated_phones, simulated_population
from app.scoring.training import train_scorecard
from app.scoring.versions import TrainedCard, active_version, load_card, store_version
from app.scoring.workbench import training_config
from app.security.fields import generate_field_keys_file, load_field_crypto
from app.settings import Settings
from bench.common.databases import app_sessions, scratch_database
from bench.common.report import logger

TRAINING_POPULATION = 1_500
SEED = 20261128
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
UNLIMITED_S = 10**9

log = logger("bench-rescore")


def clock() -> datetime:
    return NOW


def activate_card(sessions: Sessions, today: date) -> int:
    table = simulated_population(TRAINING_POPULATION, SEED, today)
    card = train_scorecard(table, training_config(table, SEED))
    with sessions.unit_of_work() as session:
        version = store_version(
            session,
            TrainedCard(
                card=card,
                name="bench",
                metrics={},
                data_fingerprint="0" * 64,
                data_rows=len(table.bad),
            ),
            trained_by=Actor("bench", "credit_officer"),
            now=NOW,
        )
        version.status = VersionStatus.ACTIVE.value
        version.activated_at = NOW
        version.activated_by = "bench"
        return version.id


def seed_borrowers(sessions: Sessions, settings: Settings, phones: list[str]) -> None:
    cipher = build_ports(settings, clock, load_field_crypto(settings.field_keys_path)).cipher
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
    wallets = build_ports(settings, clock, load_field_crypto(settings.field_keys_path)).wallets
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
        failures.append(f"next reviews: {sorted(map(str, next_reviews))[:3]}")
    return failures


def run(count: int, keep: bool) -> dict[str, Any]:
    with (
        scratch_database("mkopo_rescore", log, keep=keep) as scratch,
        tempfile.TemporaryDirectory(prefix="mkopo-rescore-bench-") as workdir,
    ):
        keys = Path(workdir) / "field-keys.json"
        generate_field_keys_file(keys)
        options: dict[str, Any] = {"field_keys_path": keys, "payment_provider": "memory"}
        settings = Settings(database_url=scratch.url, **options)
        with app_sessions(scratch.url, **options) as sessions:
            return measure(settings, sessions, count)


def measure(settings: Settings, sessions: Sessions, count: int) -> dict[str, Any]:
    log("training and activating the scorecard")
    activate_card(sessions, business_date(NOW))
    phones = simulated_phones(count, SEED + 7)
    log(f"seeding {count} borrowers")
    seed_borrowers(sessions, settings, phones)
    log("baseline: the decisions' work in-process")
    base = baseline(settings, sessions, phones)
    ports = build_ports(settings, clock, load_field_crypto(settings.field_keys_path))
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
