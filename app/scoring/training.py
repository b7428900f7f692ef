"""Training a scorecard from a labelled table: binning, WoE, logistic regression, points.

A column is numeric when every value present is a number (or text that reads as one), and
categorical otherwise. Each feature is binned (``binning``), replaced by its bin's weight of
evidence, and a seeded, L2-regularised logistic regression of "bad" on the WoEs gives one
coefficient per feature; ``Scaling.bin_points`` turns those into points (``scorecard``).
Invariant: training is deterministic for a given table and config.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from app.scoring.binning import (
    DEFAULT_MAX_PREBINS,
    DEFAULT_MIN_BIN_SHARE,
    Direction,
    FeatureBinning,
    bin_categorical,
    bin_numeric,
    is_missing,
)
from app.scoring.scorecard import FeatureCard, Scaling, Scorecard

DEFAULT_REGULARISATION_C = 1.0
"""Inverse L2 strength of the regression (scikit-learn's ``C``)."""
MAX_ITERATIONS = 1000


class NotLabelledError(ValueError):
    """The table needs both good and bad rows, one label per row."""


@dataclass(frozen=True)
class LabelledTable:
    """Rows of feature values with a bad flag each; ``numeric`` names the numeric columns."""

    rows: Sequence[Mapping[str, object]]
    bad: Sequence[bool]
    features: tuple[str, ...]
    numeric: frozenset[str]

    def column(self, name: str) -> list[object]:
        return [row.get(name) for row in self.rows]

    def subset(self, indices: Sequence[int]) -> LabelledTable:
        return LabelledTable(
            rows=[self.rows[i] for i in indices],
            bad=[self.bad[i] for i in indices],
            features=self.features,
            numeric=self.numeric,
        )


def _as_number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _cell(value: object, numeric: bool) -> object:
    """A numeric column's cell as a float, NaN when missing (an empty CSV cell included)."""
    if not numeric:
        return value
    return math.nan if is_missing(value) else _as_number(value)


def make_table(
    rows: Sequence[Mapping[str, object]], bad: Sequence[bool], features: Sequence[str]
) -> LabelledTable:
    """A table whose numeric columns (every present value a number) hold floats."""
    numeric = {
        name
        for name in features
        if all(_as_number(r.get(name)) is not None for r in rows if not is_missing(r.get(name)))
    }
    converted = [{name: _cell(row.get(name), name in numeric) for name in features} for row in rows]
    return LabelledTable(converted, list(bad), tuple(features), frozenset(numeric))


def load_labelled_csv(path: Path, label_column: str, bad_value: str = "bad") -> LabelledTable:
    """Every column but ``label_column`` is a feature; a row is bad when its label is
    ``bad_value``."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or label_column not in rows[0]:
        raise NotLabelledError(f"{path}: no column {label_column!r}")
    features = [name for name in rows[0] if name != label_column]
    bad = [row[label_column].strip() == bad_value for row in rows]
    return make_table(rows, bad, features)


@dataclass(frozen=True)
class TrainingConfig:
    scaling: Scaling = field(default_factory=Scaling)
    min_bin_share: float = DEFAULT_MIN_BIN_SHARE
    max_prebins: int = DEFAULT_MAX_PREBINS
    monotonic: Mapping[str, Direction] = field(default_factory=dict)
    """Declared directions of numeric features; the others take the one with the larger IV."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Plain-words labels for the reason codes; default: the column name in words."""
    regularisation_c: float = DEFAULT_REGULARISATION_C
    seed: int = 0


def bin_features(table: LabelledTable, config: TrainingConfig) -> list[FeatureBinning]:
    binnings = []
    for name in table.features:
        values = table.column(name)
        if name in table.numeric:
            binning = bin_numeric(
                name,
                values,
                table.bad,
                direction=config.monotonic.get(name),
                max_prebins=config.max_prebins,
                min_bin_share=config.min_bin_share,
            )
        else:
            binning = bin_categorical(name, values, table.bad, min_bin_share=config.min_bin_share)
        binnings.append(binning)
    return binnings


def train_scorecard(table: LabelledTable, config: TrainingConfig | None = None) -> Scorecard:
    config = config or TrainingConfig()
    n_bad = sum(table.bad)
    if len(table.bad) != len(table.rows) or n_bad in (0, len(table.bad)):
        raise NotLabelledError("need one label per row and both good and bad rows")
    binnings = bin_features(table, config)
    woes = np.column_stack([b.woes(table.column(b.name)) for b in binnings])
    model = LogisticRegression(
        C=config.regularisation_c, max_iter=MAX_ITERATIONS, random_state=config.seed
    )
    model.fit(woes, np.asarray(table.bad, dtype=int))
    intercept = float(model.intercept_[0])
    n = len(binnings)
    cards = []
    for binning, coefficient in zip(binnings, (float(c) for c in model.coef_[0]), strict=True):
        points = tuple(
            config.scaling.bin_points(coefficient, b.woe, intercept, n) for b in binning.bins
        )
        label = config.labels.get(binning.name, binning.name.replace("_", " "))
        cards.append(FeatureCard(binning, coefficient, points, label))
    return Scorecard(features=tuple(cards), intercept=intercept, scaling=config.scaling)
