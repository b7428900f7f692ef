"""Cross-validation of the scorecard trainer against a plain logistic regression.

Both models see the same seeded, stratified folds. The scorecard is trained on each training
fold from scratch (binning included, so no test row informs a bin) and ranks the test fold by
its integer points; the baseline is scikit-learn's logistic regression on one-hot categorical
and standardised numeric columns (missing numbers imputed with the training median). Figures
per fold: AUC, Gini = 2 * AUC - 1, and KS = the largest gap between the cumulative shares of
bads and goods over the score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from app.scoring.training import MAX_ITERATIONS, LabelledTable, TrainingConfig, train_scorecard

DEFAULT_FOLDS = 10
DEFAULT_SEED = 20261128


@dataclass(frozen=True)
class FoldFigures:
    auc: float
    gini: float
    ks: float


@dataclass(frozen=True)
class FoldResult:
    fold: int
    test_rows: int
    scorecard: FoldFigures
    baseline: FoldFigures


@dataclass(frozen=True)
class CrossValidation:
    folds: tuple[FoldResult, ...]
    seed: int

    def mean(self, model: str, figure: str) -> float:
        return float(np.mean([getattr(getattr(f, model), figure) for f in self.folds]))


def figures(bad: Sequence[bool], risk: Sequence[float]) -> FoldFigures:
    """AUC, Gini and KS of ``risk`` (higher = riskier) against the bad flags."""
    y = np.asarray(bad, dtype=int)
    auc = float(roc_auc_score(y, risk))
    false_positive, true_positive, _ = roc_curve(y, risk)
    ks = float(np.max(true_positive - false_positive))
    return FoldFigures(auc=auc, gini=2 * auc - 1, ks=ks)


def _baseline_risk(train: LabelledTable, test: LabelledTable, seed: int) -> list[float]:
    numeric = [f for f in train.features if f in train.numeric]
    categorical = [f for f in train.features if f not in train.numeric]

    def matrix(table: LabelledTable) -> np.ndarray[Any, Any]:
        columns = [
            [np.nan if v is None else v for v in table.column(f)]
            if f in table.numeric
            else ["" if v is None else str(v) for v in table.column(f)]
            for f in table.features
        ]
        return np.array(columns, dtype=object).T

    index = {name: position for position, name in enumerate(train.features)}
    numbers = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()
    )
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore"),
                [index[f] for f in categorical],
            ),
            ("numeric", numbers, [index[f] for f in numeric]),
        ]
    )
    model = make_pipeline(encode, LogisticRegression(max_iter=MAX_ITERATIONS, random_state=seed))
    model.fit(matrix(train), np.asarray(train.bad, dtype=int))
    return [float(p) for p in model.predict_proba(matrix(test))[:, 1]]


def cross_validate(
    table: LabelledTable,
    *,
    folds: int = DEFAULT_FOLDS,
    seed: int = DEFAULT_SEED,
    config: TrainingConfig | None = None,
) -> CrossValidation:
    """Seeded stratified K-fold figures of the scorecard and the baseline on the same folds."""
    config = config or TrainingConfig(seed=seed)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    results = []
    labels = np.asarray(table.bad, dtype=int)
    for number, (train_index, test_index) in enumerate(
        splitter.split(np.zeros(len(labels)), labels), start=1
    ):
        train, test = table.subset(train_index.tolist()), table.subset(test_index.tolist())
        card = train_scorecard(train, config)
        card_risk = [-float(card.score(row).points) for row in test.rows]
        results.append(
            FoldResult(
                fold=number,
                test_rows=len(test_index),
                scorecard=figures(test.bad, card_risk),
                baseline=figures(test.bad, _baseline_risk(train, test, seed)),
            )
        )
    return CrossValidation(folds=tuple(results), seed=seed)
