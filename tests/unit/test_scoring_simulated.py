"""Simulated populations (SIMULATION ONLY): reproducible rows, honest labels, a CSV round trip
and band stability between two scoring dates."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.scoring.binning import is_missing
from app.scoring.features import FEATURE_NAMES
from app.scoring.scorecard import DEFAULT_BAND_CUTOFFS, Scorecard
from app.scoring.simulated import (
    PopulationTooLargeError,
    band_stability,
    population_stability_index,
    simulated_phones,
    simulated_population,
    write_csv,
)
from app.scoring.training import LabelledTable, load_labelled_csv, train_scorecard
from app.scoring.workbench import training_config
from integrations.mobile_money import profile_for, simulated_default_probability

TODAY = date(2026, 11, 28)
SEED = 20261128
POPULATION = 600


@pytest.fixture(scope="module")
def population() -> LabelledTable:
    return simulated_population(POPULATION, SEED, TODAY)


@pytest.fixture(scope="module")
def card(population: LabelledTable) -> Scorecard:
    return train_scorecard(population, training_config(population, SEED))


def cells(table: LabelledTable) -> list[list[object]]:
    """The table's values with every kind of missing (None, "", NaN) as None."""
    return [[None if is_missing(r[f]) else r[f] for f in table.features] for r in table.rows]


def test_a_hundred_phones_are_distinct_kenyan_numbers_of_every_profile() -> None:
    phones = simulated_phones(100, SEED)
    assert len(set(phones)) == 100
    assert all(re.fullmatch(r"2547\d{8}", p) for p in phones)
    assert sorted(int(p[-2:]) for p in phones) == list(range(100))
    assert len({profile_for(p) for p in phones}) == 9
    assert simulated_phones(100, SEED) == phones
    assert simulated_phones(100, SEED + 1) != phones


def test_a_population_past_the_limit_is_refused() -> None:
    with pytest.raises(PopulationTooLargeError):
        simulated_phones(100_001, SEED)


@pytest.mark.slow  # simulates a population twice: 9 s
def test_the_same_seed_gives_the_same_table_and_a_smaller_one_is_its_prefix(
    population: LabelledTable,
) -> None:
    small = simulated_population(40, SEED, TODAY)
    again = simulated_population(40, SEED, TODAY)
    assert cells(small) == cells(again)
    assert small.bad == again.bad
    assert cells(small) == cells(population)[:40]
    assert small.bad == list(population.bad)[:40]
    assert population.features == FEATURE_NAMES
    assert population.numeric == frozenset(FEATURE_NAMES) - {"thin_file"}


@pytest.mark.slow  # the simulated population (built once per module)
def test_each_profiles_bad_rate_is_near_its_hidden_probability(
    population: LabelledTable,
) -> None:
    phones = simulated_phones(POPULATION, SEED)
    by_profile: dict[str, list[bool]] = defaultdict(list)
    probability: dict[str, float] = {}
    for phone, bad in zip(phones, population.bad, strict=True):
        by_profile[profile_for(phone)].append(bad)
        probability[profile_for(phone)] = simulated_default_probability(phone)
    # 96 of each settled profile, 60 new SIMs, 48 dormant, 6 each without a SIM or M-Pesa
    # (too few to check alone); within three standard deviations of a Bernoulli mean.
    for profile, flags in by_profile.items():
        if len(flags) >= 48:
            p = probability[profile]
            three_sd = 3 * math.sqrt(p * (1 - p) / len(flags))
            assert sum(flags) / len(flags) == pytest.approx(p, abs=three_sd)
    chances = [simulated_default_probability(phone) for phone in phones]
    three_sd = 3 * math.sqrt(sum(c * (1 - c) for c in chances))
    assert sum(population.bad) == pytest.approx(sum(chances), abs=three_sd)


@pytest.mark.slow  # the simulated population
def test_a_written_csv_reads_back_as_the_same_table(
    population: LabelledTable, tmp_path: Path
) -> None:
    path = tmp_path / "population.csv"
    write_csv(population, path)
    header = path.read_text().splitlines()[0]
    assert header == ",".join([*FEATURE_NAMES, "default"])
    loaded = load_labelled_csv(path, "default", "bad")
    assert loaded.features == population.features
    assert loaded.numeric == population.numeric
    assert loaded.bad == list(population.bad)
    assert cells(loaded) == cells(population)
    assert any(v is None for row in cells(loaded) for v in row)  # empty cells are missing


@pytest.mark.slow  # the simulated population, trained
def test_a_scorecard_trained_on_the_csv_equals_one_trained_on_the_table(
    population: LabelledTable, card: Scorecard, tmp_path: Path
) -> None:
    path = tmp_path / "population.csv"
    write_csv(population, path, label_column="outcome", bad_value="1", good_value="0")
    loaded = load_labelled_csv(path, "outcome", "1")
    assert train_scorecard(loaded, training_config(loaded, SEED)) == card


@pytest.mark.slow  # rescores the population: 3.6 s
def test_borrowers_rescored_four_months_later_keep_a_stable_band_distribution(
    card: Scorecard,
) -> None:
    phones = simulated_phones(150, SEED + 1)
    result = band_stability(card, phones, TODAY, TODAY + timedelta(days=120))
    bands = [band for band, _ in DEFAULT_BAND_CUTOFFS]
    for shares in (result.shares_first, result.shares_second):
        assert list(shares) == bands
        assert sum(shares.values()) == pytest.approx(1.0)
    assert result.psi >= 0
    assert 0 <= result.same_band_share <= result.within_one_band_share <= 1
    assert result.to_dict()["borrowers"] == 150


@pytest.mark.slow  # rescores the population: 1.4 s
def test_scoring_twice_on_the_same_day_moves_nobody(card: Scorecard) -> None:
    result = band_stability(card, simulated_phones(60, SEED + 2), TODAY, TODAY)
    assert result.psi == 0.0
    assert result.same_band_share == 1.0
    assert result.shares_first == result.shares_second


def test_psi_of_a_worked_example() -> None:
    # (0.6 - 0.5) ln(0.6 / 0.5) + (0.4 - 0.5) ln(0.4 / 0.5) = 0.01823 + 0.02231
    assert population_stability_index([0.5, 0.5], [0.6, 0.4]) == pytest.approx(0.040546, 1e-4)
    # An empty band counts as 0.0001, not as an infinite shift.
    assert population_stability_index([1.0, 0.0], [1.0, 0.0]) == 0.0
