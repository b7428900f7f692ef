"""The figures of the scoring evaluation: cross-validation on German Credit and on a
simulated population, band stability, and in-process latencies."""

from __future__ import annotations

import platform
import time
from datetime import date, timedelta
from typing import Any

from app.scoring.decisions import HISTORY_DAYS
from app.scoring.evaluation import CrossValidation, cross_validate, figures
from app.scoring.features import FundHistory, borrower_features
from app.scoring.scorecard import Scorecard
from app.scoring.simulated import band_stability, simulated_phones, simulated_population
from app.scoring.training import LabelledTable, train_scorecard
from app.scoring.workbench import training_config
from bench.common.machine import cores, cpu_model, package_version
from bench.common.measure import percentile, rounded
from bench.common.report import ROOT, logger, utc_timestamp
from integrations.mobile_money import SimulatedMobileMoneyHistory, simulated_default_probability

DATASET = ROOT.parent / "shared" / "data" / "germancredit.csv"
LABEL_COLUMN = "creditability"
LATENCY_SCORINGS = 10_000
AIM_AUC = 0.78
SIMULATED_TODAY = date(2026, 11, 28)
DEFAULT_SIMULATED_ROWS = 4_000
RESCORING_INTERVAL_DAYS = 120
"""A borrower's limit is rescored every four months."""
STABILITY_PHONES = 2_000
STABILITY_SEED_OFFSET = 1
"""The stability phones' seed is the run's seed plus this, so they are not the training rows."""
DECISION_PHONES = 1_000
DECISION_ROUNDS = 3


log = logger("eval-scoring")


def environment() -> dict[str, Any]:
    return {
        "cpu_model": cpu_model(),
        "nproc": cores(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "numpy": package_version("numpy"),
        "scikit_learn": package_version("scikit-learn"),
    }


def scoring_latency(card: Scorecard, table: LabelledTable) -> dict[str, float | None]:
    timings_ms = []
    for i in range(LATENCY_SCORINGS):
        applicant = table.rows[i % len(table.rows)]
        started = time.perf_counter()
        card.score(applicant)
        timings_ms.append((time.perf_counter() - started) * 1000.0)
    return {
        "score_p50_ms": rounded(percentile(timings_ms, 50), 4),
        "score_p99_ms": rounded(percentile(timings_ms, 99), 4),
    }


def decision_latency(card: Scorecard, phones: list[str]) -> dict[str, float | None]:
    """A whole decision in-process, as ``app.scoring.decisions`` computes it: a two-year
    wallet statement (fetched beforehand, not timed) to features to points, band and reasons.
    Statements run to 5,000+ transactions for a busy trader."""
    wallets = SimulatedMobileMoneyHistory(SIMULATED_TODAY)
    since = SIMULATED_TODAY - timedelta(days=HISTORY_DAYS)
    statements = [wallets.history(phone, since, SIMULATED_TODAY) for phone in phones]
    timings_ms = []
    for _ in range(DECISION_ROUNDS):
        for statement in statements:
            started = time.perf_counter()
            card.score(borrower_features(statement, FundHistory(), SIMULATED_TODAY))
            timings_ms.append((time.perf_counter() - started) * 1000.0)
    return {
        "decisions_timed": len(timings_ms),
        "decision_transactions_max": max(len(s) for s in statements),
        "p50_ms": rounded(percentile(timings_ms, 50), 4),
        "p99_ms": rounded(percentile(timings_ms, 99), 4),
    }


def assemble(
    cv: CrossValidation, card: Scorecard, latency: dict[str, float | None], command: str
) -> dict[str, Any]:
    def mean(model: str, figure: str) -> float:
        return round(cv.mean(model, figure), 4)

    auc, baseline_auc = mean("scorecard", "auc"), mean("baseline", "auc")
    return {
        "benchmark": "scoring",
        "timestamp": utc_timestamp(),
        "command": command,
        "dataset": "germancredit.csv (../shared/data), label creditability, bad = 'bad'",
        "rows": sum(f.test_rows for f in cv.folds),
        "folds": len(cv.folds),
        "seed": cv.seed,
        "german_auc": auc,
        "german_gini": mean("scorecard", "gini"),
        "german_ks": mean("scorecard", "ks"),
        "german_baseline_auc": baseline_auc,
        "german_baseline_gini": mean("baseline", "gini"),
        "german_baseline_ks": mean("baseline", "ks"),
        "aims": {"auc_min": AIM_AUC, "not_below_baseline": True},
        "aims_met": auc >= AIM_AUC and auc >= baseline_auc,
        "per_fold": [
            {
                "fold": f.fold,
                "test_rows": f.test_rows,
                "auc": round(f.scorecard.auc, 4),
                "gini": round(f.scorecard.gini, 4),
                "ks": round(f.scorecard.ks, 4),
                "baseline_auc": round(f.baseline.auc, 4),
                "baseline_gini": round(f.baseline.gini, 4),
                "baseline_ks": round(f.baseline.ks, 4),
            }
            for f in cv.folds
        ],
        "scorings_timed": LATENCY_SCORINGS,
        **latency,
        "full_table_scorecard": {
            "features": len(card.features),
            "bins": sum(len(c.binning.bins) for c in card.features),
        },
        "environment": environment(),
    }


def simulated_figures(rows: int, seed: int, folds: int) -> dict[str, Any]:
    """SIMULATION ONLY: cross-validated figures and band stability on simulated borrowers."""
    table = simulated_population(rows, seed, SIMULATED_TODAY)
    log(f"simulated: {rows} rows, {sum(table.bad)} bad; {folds}-fold CV, seed {seed}")
    probabilities = [simulated_default_probability(p) for p in simulated_phones(rows, seed)]
    config = training_config(table, seed)
    cv = cross_validate(table, folds=folds, seed=seed, config=config)
    second = SIMULATED_TODAY + timedelta(days=RESCORING_INTERVAL_DAYS)
    phones = simulated_phones(STABILITY_PHONES, seed + STABILITY_SEED_OFFSET)
    log(f"band stability: {len(phones)} phones, {SIMULATED_TODAY} and {second}")
    card = train_scorecard(table, config)
    stability = band_stability(card, phones, SIMULATED_TODAY, second)
    log(f"decision latency: {DECISION_PHONES} statements x {DECISION_ROUNDS}")
    latency = decision_latency(card, phones[:DECISION_PHONES])
    shift = stability.to_dict()
    for key in ("shares_first", "shares_second"):
        shift[key] = {band: round(share, 4) for band, share in shift[key].items()}
    for key in ("psi", "same_band_share", "within_one_band_share"):
        shift[key] = round(shift[key], 4)
    return {
        "simulated_today": SIMULATED_TODAY.isoformat(),
        "simulated_rows": len(table.rows),
        "simulated_bad_rate": round(sum(table.bad) / len(table.bad), 4),
        "simulated_auc": round(cv.mean("scorecard", "auc"), 4),
        "simulated_gini": round(cv.mean("scorecard", "gini"), 4),
        "simulated_ks": round(cv.mean("scorecard", "ks"), 4),
        "simulated_baseline_auc": round(cv.mean("baseline", "auc"), 4),
        "simulated_baseline_gini": round(cv.mean("baseline", "gini"), 4),
        "simulated_baseline_ks": round(cv.mean("baseline", "ks"), 4),
        "simulated_oracle_auc": round(figures(table.bad, probabilities).auc, 4),
        "band_stability": {"seed": seed + STABILITY_SEED_OFFSET, **shift},
        **latency,
    }
