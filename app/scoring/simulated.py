"""SIMULATION ONLY: labelled populations of simulated borrowers, to evaluate the scorecard.

Nothing that decides on a real borrower may use it: its labels come from the mobile-money
simulator's hidden ``simulated_default_probability``, which no real provider has.

A population is ``simulated_phones(n, seed)``, each scored on its simulated statement (the last
``MAX_HISTORY_DAYS`` before ``today``) as a new applicant (``FundHistory()``), and labelled bad
by one Bernoulli draw of its profile's default probability. Invariants: the same arguments give
the same table, and row ``i`` of ``simulated_population(n, seed, ...)`` is the ``i``-th number
of ``simulated_phones(n, seed)``. The phones' last two digits, which choose the profile, run
through every value 00..99 once per hundred numbers, so the profiles' shares are exact.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from app.scoring.binning import is_missing
from app.scoring.features import (
    FEATURE_NAMES,
    Features,
    FundHistory,
    borrower_features,
)
from app.scoring.scorecard import Scorecard
from app.scoring.training import LabelledTable, make_table
from integrations.mobile_money import SimulatedMobileMoneyHistory, simulated_default_probability
from integrations.mobile_money.simulator import MAX_HISTORY_DAYS

MAX_POPULATION = 100_000
"""The most phones one population holds (about 8 ms of simulation each)."""
MSISDN_PREFIX = "2547"
ENDINGS = 100
"""Distinct last-two-digit values (they choose the simulator's profile)."""
MIDDLE_DIGITS = 6
PSI_SHARE_FLOOR = 0.0001
"""Band shares are floored here before the PSI's logarithm (an empty band is not infinite)."""


class PopulationTooLargeError(ValueError):
    """More phones than ``MAX_POPULATION`` were asked for."""


def simulated_phones(n: int, seed: int) -> list[str]:
    """``n`` distinct numbers ``2547XXXXXXXX``, the same for the same ``seed``."""
    if n > MAX_POPULATION:
        raise PopulationTooLargeError(f"{n} phones > {MAX_POPULATION}")
    # Not for security: a reproducible population is the point.
    rng = random.Random(seed)  # noqa: S311
    phones: list[str] = []
    seen: set[str] = set()
    endings: list[int] = []
    while len(phones) < n:
        if not endings:
            endings = rng.sample(range(ENDINGS), ENDINGS)
        ending = endings.pop()
        phone = ""
        while not phone or phone in seen:
            phone = f"{MSISDN_PREFIX}{rng.randrange(10**MIDDLE_DIGITS):06d}{ending:02d}"
        seen.add(phone)
        phones.append(phone)
    return phones


def _features_as_of(histories: SimulatedMobileMoneyHistory, phone: str, as_of: date) -> Features:
    since = as_of - timedelta(days=MAX_HISTORY_DAYS)
    return borrower_features(histories.history(phone, since, as_of), FundHistory(), as_of)


def simulated_population(n: int, seed: int, today: date, history_seed: int = 0) -> LabelledTable:
    """Features of ``simulated_phones(n, seed)`` as of ``today``, each labelled by a seeded draw."""
    phones = simulated_phones(n, seed)
    histories = SimulatedMobileMoneyHistory(today, history_seed)
    rows = [_features_as_of(histories, phone, today) for phone in phones]
    # A string seed keeps the label draws apart from the phone draws of the same ``seed``.
    labels = random.Random(f"labels:{seed}")  # noqa: S311
    bad = [labels.random() < simulated_default_probability(phone) for phone in phones]
    return make_table(rows, bad, FEATURE_NAMES)


def _cell(value: object) -> str:
    if is_missing(value):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def write_csv(
    table: LabelledTable,
    path: Path,
    label_column: str = "default",
    bad_value: str = "bad",
    good_value: str = "good",
) -> None:
    """A CSV that ``load_labelled_csv(path, label_column, bad_value)`` reads back as ``table``.

    Missing values are empty cells; floats are written exactly (``repr``).
    """
    if label_column in table.features:
        raise ValueError(f"the label column {label_column!r} is also a feature")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*table.features, label_column])
        for row, is_bad in zip(table.rows, table.bad, strict=True):
            cells = [_cell(row.get(name)) for name in table.features]
            writer.writerow([*cells, bad_value if is_bad else good_value])


@dataclass(frozen=True)
class BandStability:
    """How the same borrowers' bands moved between two scoring dates."""

    first: date
    second: date
    borrowers: int
    shares_first: dict[str, float]
    """Share of the borrowers in each band (every band, best first) as of ``first``."""
    shares_second: dict[str, float]
    psi: float
    """Population stability index of the two band distributions (0 = identical)."""
    same_band_share: float
    within_one_band_share: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "first": self.first.isoformat(),
            "second": self.second.isoformat(),
            "borrowers": self.borrowers,
            "shares_first": dict(self.shares_first),
            "shares_second": dict(self.shares_second),
            "psi": self.psi,
            "same_band_share": self.same_band_share,
            "within_one_band_share": self.within_one_band_share,
        }


def population_stability_index(
    expected: Sequence[float], actual: Sequence[float], floor: float = PSI_SHARE_FLOOR
) -> float:
    """``sum((a - e) * ln(a / e))`` over shares floored at ``floor``; >= 0, 0 when equal."""
    pairs = [(max(e, floor), max(a, floor)) for e, a in zip(expected, actual, strict=True)]
    return sum((a - e) * math.log(a / e) for e, a in pairs)


def _bands_as_of(card: Scorecard, phones: Sequence[str], as_of: date, seed: int) -> list[int]:
    """The index of each phone's band (0 = best) as of ``as_of``."""
    histories = SimulatedMobileMoneyHistory(as_of, seed)
    order = {band: i for i, (band, _) in enumerate(card.band_cutoffs)}
    return [order[card.score(_features_as_of(histories, p, as_of)).band] for p in phones]


def band_stability(
    card: Scorecard, phones: Sequence[str], first: date, second: date, history_seed: int = 0
) -> BandStability:
    """Score every phone as of ``first`` and as of ``second`` and compare the bands."""
    if not phones:
        raise ValueError("band stability needs at least one phone")
    before = _bands_as_of(card, phones, first, history_seed)
    after = _bands_as_of(card, phones, second, history_seed)
    bands = [band for band, _ in card.band_cutoffs]
    n = len(phones)

    def shares(indices: list[int]) -> dict[str, float]:
        return {band: sum(1 for i in indices if i == k) / n for k, band in enumerate(bands)}

    shares_first, shares_second = shares(before), shares(after)
    moves = [abs(b - a) for a, b in zip(before, after, strict=True)]
    return BandStability(
        first=first,
        second=second,
        borrowers=n,
        shares_first=shares_first,
        shares_second=shares_second,
        psi=population_stability_index(list(shares_first.values()), list(shares_second.values())),
        same_band_share=sum(1 for m in moves if m == 0) / n,
        within_one_band_share=sum(1 for m in moves if m <= 1) / n,
    )
