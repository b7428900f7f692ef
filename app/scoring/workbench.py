"""Training a scorecard the way staff do it (CLI, demo): cross-validate, then train on all rows.

Columns named like the decision features get their plain-words labels and declared
monotonic directions (``app.scoring.features``); other columns are labelled by their names.
The metrics are the means over seeded stratified folds (``app.scoring.evaluation``), stored
with the version so versions can be compared.
"""

from __future__ import annotations

from typing import Any

from app.scoring.evaluation import DEFAULT_FOLDS, DEFAULT_SEED, cross_validate
from app.scoring.features import FEATURE_DIRECTIONS, FEATURE_LABELS
from app.scoring.scorecard import Scorecard
from app.scoring.training import LabelledTable, TrainingConfig, train_scorecard


def training_config(table: LabelledTable, seed: int) -> TrainingConfig:
    return TrainingConfig(
        labels={k: v for k, v in FEATURE_LABELS.items() if k in table.features},
        monotonic={k: v for k, v in FEATURE_DIRECTIONS.items() if k in table.numeric},
        seed=seed,
    )


def train_and_evaluate(
    table: LabelledTable, folds: int = DEFAULT_FOLDS, seed: int = DEFAULT_SEED
) -> tuple[Scorecard, dict[str, Any]]:
    config = training_config(table, seed)
    result = cross_validate(table, folds=folds, seed=seed, config=config)
    card = train_scorecard(table, config)
    metrics = {
        "auc": round(result.mean("scorecard", "auc"), 4),
        "gini": round(result.mean("scorecard", "gini"), 4),
        "ks": round(result.mean("scorecard", "ks"), 4),
        "baseline_auc": round(result.mean("baseline", "auc"), 4),
        "folds": folds,
        "seed": seed,
        "rows": len(table.bad),
        "bad_rate": round(sum(table.bad) / len(table.bad), 4),
    }
    return card, metrics
