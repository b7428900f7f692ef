"""Scorecard evaluation on German Credit: seeded, stratified 10-fold cross-validation.

Run: ``.venv/bin/python -m bench.eval_scoring [--folds 10] [--seed N]`` (``make eval-scoring``)

1. read ``../shared/data/germancredit.csv`` (1,000 loans, label ``creditability`` good/bad,
   7 numeric and 13 categorical columns);
2. on the same seeded stratified folds, train the scorecard (``app.scoring``) on each training
   fold and rank the test fold by its points; beside it the baseline, scikit-learn's logistic
   regression on one-hot categoricals and standardised numerics; AUC, Gini and KS per fold
   and their means;
3. train once on every row and time 10,000 in-process scorings (``Scorecard.score``) of rows
   of the table, one at a time: ``score_p50_ms``, ``score_p99_ms``;
4. SIMULATION ONLY: the same cross-validation on a simulated population (``--simulated N``,
   default 4,000; ``app.scoring.simulated``, seed = ``--seed``, as of ``SIMULATED_TODAY`` so runs
   reproduce), beside the AUC of the hidden default probabilities themselves (the ceiling any
   model can reach on these labels); then a scorecard trained on the whole population rescores
   2,000 other simulated phones ``RESCORING_INTERVAL_DAYS`` later: band shares, PSI, moves;
   and times whole decisions (features of a two-year statement, then the card) on 1,000 of
   them: ``p50_ms``, ``p99_ms`` (the aim: p99 < 5 ms).

Then ``bench/results/scoring.json`` and the ``scoring`` section of ``docs/performance.md``
(``--docs-only`` rewrites the section from the JSON). Figures are not pass/fail: the aims are
a mean AUC of at least 0.78 and not below the baseline's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from app.scoring.decisions import HISTORY_DAYS
from app.scoring.evaluation import (
    DEFAULT_FOLDS,
    DEFAULT_SEED,
    CrossValidation,
    cross_validate,
    figures,
)
from app.scoring.features import FundHistory, borrower_features
from app.scoring.scorecard import Scorecard
from app.scoring.simulated import (
    band_stability,
    simulated_phones,
    simulated_population,
)
from app.scoring.training import LabelledTable, load_labelled_csv, train_scorecard
from app.scoring.workbench import training_config
from bench import common
from integrations.mobile_money import SimulatedMobileMoneyHistory, simulated_default_probability

DATASET = common.ROOT.parent / "shared" / "data" / "germancredit.csv"
LABEL_COLUMN = "creditability"
OUTPUT = common.RESULTS_DIR / "scoring.json"
DOC_SECTION = "scoring"
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
PSI_STABLE_BELOW = 0.1
PSI_SOME_SHIFT_BELOW = 0.25


def log(message: str) -> None:
    print(f"[eval-scoring] {message}", file=sys.stderr, flush=True)


def environment() -> dict[str, Any]:
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_model": cpu_model,
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "numpy": metadata.version("numpy"),
        "scikit_learn": metadata.version("scikit-learn"),
    }


def scoring_latency(card: Scorecard, table: LabelledTable) -> dict[str, float | None]:
    timings_ms = []
    for i in range(LATENCY_SCORINGS):
        applicant = table.rows[i % len(table.rows)]
        started = time.perf_counter()
        card.score(applicant)
        timings_ms.append((time.perf_counter() - started) * 1000.0)
    return {
        "score_p50_ms": common.rounded(common.percentile(timings_ms, 50), 4),
        "score_p99_ms": common.rounded(common.percentile(timings_ms, 99), 4),
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
        "p50_ms": common.rounded(common.percentile(timings_ms, 50), 4),
        "p99_ms": common.rounded(common.percentile(timings_ms, 99), 4),
    }


def assemble(
    cv: CrossValidation, card: Scorecard, latency: dict[str, float | None], argv: list[str]
) -> dict[str, Any]:
    def mean(model: str, figure: str) -> float:
        return round(cv.mean(model, figure), 4)

    auc, baseline_auc = mean("scorecard", "auc"), mean("baseline", "auc")
    return {
        "benchmark": "scoring",
        "timestamp": common.utc_timestamp(),
        "command": " ".join([".venv/bin/python -m bench.eval_scoring", *argv]),
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


def psi_verdict(psi: float) -> str:
    if psi < PSI_STABLE_BELOW:
        return f"stable (PSI < {PSI_STABLE_BELOW})"
    if psi < PSI_SOME_SHIFT_BELOW:
        return f"some shift (PSI {PSI_STABLE_BELOW} to {PSI_SOME_SHIFT_BELOW})"
    return f"a major shift (PSI >= {PSI_SOME_SHIFT_BELOW})"


def build_simulated_section(data: dict[str, Any]) -> list[str]:
    stability = data["band_stability"]
    bands = list(stability["shares_first"])
    table = common.format_table(
        ["model (simulated population)", "mean AUC", "mean Gini", "mean KS"],
        [
            ["scorecard", data["simulated_auc"], data["simulated_gini"], data["simulated_ks"]],
            ["baseline logistic regression", data["simulated_baseline_auc"],
             data["simulated_baseline_gini"], data["simulated_baseline_ks"]],
            ["hidden default probabilities (ceiling; whole population)",
             data["simulated_oracle_auc"], None, None],
        ],
    )  # fmt: skip
    shares = common.format_table(
        ["scored on", *bands],
        [
            [day, *(f"{stability[key][band]:.1%}" for band in bands)]
            for day, key in ((stability["first"], "shares_first"),
                             (stability["second"], "shares_second"))
        ],
    )  # fmt: skip
    return [
        common.wrap_markdown(
            f"SIMULATION ONLY: {data['simulated_rows']:,} simulated borrowers "
            f"(`app.scoring.simulated`, as of {data['simulated_today']}, seed {data['seed']}, bad "
            f"rate {data['simulated_bad_rate']:.1%}), labelled by one draw of their profile's "
            "hidden default probability; the same trainer and folds. The ceiling is the AUC of "
            "the hidden probabilities themselves on the same population: no model can expect to "
            "rank these labels better. Method: docs/scoring.md."
        ),
        table,
        common.wrap_markdown(
            f"Band stability: a scorecard trained on the whole simulated population scores "
            f"{stability['borrowers']:,} other simulated phones (seed {stability['seed']}) on "
            f"{stability['first']} and again {RESCORING_INTERVAL_DAYS} days later (the "
            f"rescoring interval). PSI {stability['psi']}: {psi_verdict(stability['psi'])}; "
            f"{stability['same_band_share']:.2%} keep their band, "
            f"{stability['within_one_band_share']:.2%} move at most one band. The simulator "
            "dates a SIM from the scoring day, so the later statement is a fresh draw of the "
            "same borrower over shifted months: this measures noise and season, not change."
        ),
        shares,
    ]


def build_doc_section(data: dict[str, Any]) -> str:
    table = common.format_table(
        ["model", "mean AUC", "mean Gini", "mean KS"],
        [
            ["scorecard (WoE bins + logistic regression, integer points)",
             data["german_auc"], data["german_gini"], data["german_ks"]],
            ["baseline (logistic regression, one-hot + standardised)",
             data["german_baseline_auc"], data["german_baseline_gini"],
             data["german_baseline_ks"]],
        ],
    )  # fmt: skip
    aucs = [f["auc"] for f in data["per_fold"]]
    met = "met" if data["aims_met"] else "NOT met"
    env = data["environment"]
    parts = [
        "## Scoring (make eval-scoring)",
        common.wrap_markdown(
            f"`{data['command']}`, {data['timestamp']}: German Credit ({data['rows']} loans), "
            f"seeded (seed {data['seed']}) stratified {data['folds']}-fold cross-validation; "
            "the scorecard is trained from scratch on each training fold (bins included) and "
            "ranks the test fold by its integer points; the baseline sees the same folds. "
            "Method: docs/scoring.md."
        ),
        table,
        common.wrap_markdown(
            f"Aims (mean AUC >= {data['aims']['auc_min']} and not below the baseline): {met}. "
            f"Scorecard AUC per fold ranges {min(aucs)} to {max(aucs)}. In-process, the "
            f"scorecard alone ({data['full_table_scorecard']['features']} features): p50 "
            f"{data['score_p50_ms']} ms, p99 {data['score_p99_ms']} ms over "
            f"{data['scorings_timed']:,} scorings. A whole decision (features from a two-year "
            f"statement of up to {data['decision_transactions_max']:,} transactions, then "
            f"points, band and reasons; aim p99 < 5 ms): p50 {data['p50_ms']} ms, p99 "
            f"{data['p99_ms']} ms over {data['decisions_timed']:,} decisions. "
            f"Machine: {env['cpu_model']}, {env['nproc']} cores; Python "
            f"{env['python']}, numpy {env['numpy']}, scikit-learn {env['scikit_learn']}."
        ),
        *build_simulated_section(data),
    ]
    return "\n\n".join(parts)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=DEFAULT_FOLDS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument(
        "--simulated", type=int, default=DEFAULT_SIMULATED_ROWS, metavar="N",
        help="simulated borrowers to cross-validate on",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--no-docs", action="store_true", help="do not touch performance.md")
    parser.add_argument("--docs-only", action="store_true", help="rewrite the docs from JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.docs_only:
        common.replace_doc_section(
            DOC_SECTION, build_doc_section(json.loads(args.output.read_text()))
        )
        return 0
    table = load_labelled_csv(args.dataset, LABEL_COLUMN)
    log(f"{len(table.rows)} rows, {sum(table.bad)} bad; {args.folds}-fold CV, seed {args.seed}")
    cv = cross_validate(table, folds=args.folds, seed=args.seed)
    card = train_scorecard(table)
    latency = scoring_latency(card, table)
    data = assemble(cv, card, latency, argv) | simulated_figures(
        args.simulated, args.seed, args.folds
    )
    print(
        json.dumps(
            {k: v for k, v in data.items() if k not in ("per_fold", "environment")}, indent=2
        )
    )
    common.write_json(args.output, data)
    log(f"wrote {args.output}")
    if not args.no_docs:
        common.replace_doc_section(DOC_SECTION, build_doc_section(data))
        log(f"updated the {DOC_SECTION} section of {common.PERFORMANCE_DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
