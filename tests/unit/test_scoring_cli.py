"""`mkopo scoring train`: metrics as JSON on the last line, the scorecard written out."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from app.scoring.scorecard import Scorecard


def labelled_csv(path: Path, rows: int = 400) -> Path:
    rng = random.Random(7)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["inflow", "region", "outcome"])
        for _ in range(rows):
            inflow = rng.randint(1_000, 60_000)
            region = rng.choice(["coast", "rift", "nairobi"])
            risk = 0.6 - inflow / 120_000 + (0.1 if region == "coast" else 0.0)
            writer.writerow([inflow, region, "bad" if rng.random() < risk else "good"])
    return path


def test_train_prints_cross_validated_metrics_and_writes_the_scorecard(tmp_path: Path) -> None:
    data = labelled_csv(tmp_path / "loans.csv")
    out = tmp_path / "card.json"
    result = CliRunner().invoke(
        app,
        [
            "scoring",
            "train",
            "--data",
            str(data),
            "--label",
            "outcome",
            "--folds",
            "3",
            "--seed",
            "1",
            "--out",
            str(out),
            "--no-store",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output.strip().splitlines()[-1])
    assert set(metrics) >= {"auc", "gini", "ks", "baseline_auc"}
    assert 0.6 < metrics["auc"] <= 1.0  # inflow really predicts the outcome here
    assert abs(metrics["gini"] - (2 * metrics["auc"] - 1)) < 0.01
    card = Scorecard.from_dict(json.loads(out.read_text()))
    assert (
        card.score({"inflow": 55_000, "region": "nairobi"}).points
        > card.score({"inflow": 2_000, "region": "coast"}).points
    )


def test_train_refuses_a_file_without_the_label(tmp_path: Path) -> None:
    data = labelled_csv(tmp_path / "loans.csv")
    result = CliRunner().invoke(
        app, ["scoring", "train", "--data", str(data), "--label", "missing"]
    )
    assert result.exit_code == 2
