"""Binning of one feature and the weight of evidence of each bin.

Numeric features are cut at quantiles into pre-bins, then adjacent bins are merged until the
bad rate moves one way only (increasing or decreasing with the value, declared or chosen by
the larger information value) and every bin holds at least a minimum share of the rows.
Categorical features keep one bin per category; rare categories share an "other" bin, which
also takes categories never seen in training. Every feature has a "missing" bin last.

Weight of evidence (WoE) is ``ln(share of goods in the bin / share of bads in the bin)`` with
half a row added to each count (so an all-good bin has a finite WoE): higher WoE = lower risk.
Cut points are values seen in training (quantiles rounded up to the next value). Invariant:
monotonic bins have strictly monotonic WoE, because merging decisions use the same smoothed
bad rate that the WoE is a decreasing function of.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Direction = Literal["increasing", "decreasing"]
"""How the bad rate moves as the value grows."""
Kind = Literal["numeric", "categorical"]

SMOOTHING = 0.5
"""Rows added to each bin's good and bad counts before taking the WoE."""
DEFAULT_MAX_PREBINS = 10
DEFAULT_MIN_BIN_SHARE = 0.05
MAX_CATEGORIES = 100
"""A categorical feature with more distinct values than this is rejected (it is an id)."""

MISSING_LABEL = "missing"
OTHER_LABEL = "other"


class TooManyCategoriesError(ValueError):
    """A categorical feature has more distinct values than ``MAX_CATEGORIES``."""


def is_missing(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def smoothed_bad_rate(count: int, bad_count: int) -> float:
    return (bad_count + SMOOTHING) / (count + 2 * SMOOTHING)


def weight_of_evidence(good: int, bad: int, total_good: int, total_bad: int) -> float:
    return math.log(
        ((good + SMOOTHING) / (total_good + SMOOTHING))
        / ((bad + SMOOTHING) / (total_bad + SMOOTHING))
    )


@dataclass(frozen=True)
class Bin:
    """One bin: numeric ``[lower, upper)`` (None = unbounded), a group of categories, or missing."""

    label: str
    woe: float
    count: int
    bad_count: int
    lower: float | None = None
    upper: float | None = None
    categories: tuple[str, ...] = ()
    is_missing: bool = False
    is_other: bool = False

    @property
    def bad_rate(self) -> float:
        return self.bad_count / self.count if self.count else 0.0


@dataclass(frozen=True)
class FeatureBinning:
    """The bins of one feature, in order, the missing bin last."""

    name: str
    kind: Kind
    bins: tuple[Bin, ...]
    direction: Direction | None = None
    _cuts: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _by_category: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cuts", tuple(b.lower for b in self.bins[1:-1]))
        by_category = {c: i for i, b in enumerate(self.bins) for c in b.categories}
        object.__setattr__(self, "_by_category", by_category)

    def index_of(self, value: object) -> int:
        """The index of the bin ``value`` falls in."""
        if is_missing(value):
            return len(self.bins) - 1
        if self.kind == "numeric":
            return bisect.bisect_right(self._cuts, float(value))  # type: ignore[arg-type]
        found = self._by_category.get(str(value))
        if found is not None:
            return found
        return next(i for i, b in enumerate(self.bins) if b.is_other)

    def woes(self, values: Sequence[object]) -> list[float]:
        return [self.bins[self.index_of(v)].woe for v in values]

    @property
    def information_value(self) -> float:
        total = sum(b.count for b in self.bins)
        bads = sum(b.bad_count for b in self.bins)
        goods = total - bads
        if not goods or not bads:
            return 0.0
        return sum(
            ((b.count - b.bad_count) / goods - b.bad_count / bads) * b.woe for b in self.bins
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "direction": self.direction,
            "bins": [
                {
                    "label": b.label,
                    "woe": b.woe,
                    "count": b.count,
                    "bad_count": b.bad_count,
                    "lower": b.lower,
                    "upper": b.upper,
                    "categories": list(b.categories),
                    "is_missing": b.is_missing,
                    "is_other": b.is_other,
                }
                for b in self.bins
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureBinning:
        bins = tuple(
            Bin(
                label=b["label"],
                woe=float(b["woe"]),
                count=int(b["count"]),
                bad_count=int(b["bad_count"]),
                lower=b["lower"],
                upper=b["upper"],
                categories=tuple(b["categories"]),
                is_missing=bool(b["is_missing"]),
                is_other=bool(b["is_other"]),
            )
            for b in data["bins"]
        )
        return cls(name=data["name"], kind=data["kind"], bins=bins, direction=data["direction"])


# -- numeric --------------------------------------------------------------------------------


def _merge_numeric(
    cuts: list[float], counts: list[int], bads: list[int], direction: Direction, min_count: int
) -> None:
    """Merge adjacent bins in place until monotonic by smoothed bad rate and none is too small.

    Bin ``i`` spans ``[cuts[i-1], cuts[i])``; merging bins i and i+1 removes ``cuts[i]``.
    """
    sign = 1 if direction == "increasing" else -1
    while len(counts) > 1:
        rates = [smoothed_bad_rate(n, b) for n, b in zip(counts, bads, strict=True)]
        small = [i for i, n in enumerate(counts) if n < min_count]
        if small:
            i = min(small, key=lambda k: counts[k])
            if i == 0:
                left = 0
            elif i == len(counts) - 1:
                left = i - 1
            else:  # merge with the neighbour whose bad rate is closer
                closer_left = abs(rates[i] - rates[i - 1]) <= abs(rates[i] - rates[i + 1])
                left = i - 1 if closer_left else i
        else:
            violations = [
                (sign * (rates[k] - rates[k + 1]), k)
                for k in range(len(rates) - 1)
                if sign * (rates[k + 1] - rates[k]) <= 0  # ties merge: strictly monotonic
            ]
            if not violations:
                return
            left = max(violations)[1]
        counts[left : left + 2] = [counts[left] + counts[left + 1]]
        bads[left : left + 2] = [bads[left] + bads[left + 1]]
        del cuts[left]


def _numeric_label(lower: float | None, upper: float | None) -> str:
    def text(x: float) -> str:
        return f"{x:g}"

    if lower is None and upper is None:
        return "any"
    if lower is None:
        return f"< {text(upper)}"  # type: ignore[arg-type]
    if upper is None:
        return f">= {text(lower)}"
    return f"{text(lower)} to < {text(upper)}"


def bin_numeric(
    name: str,
    values: Sequence[object],
    bad: Sequence[bool],
    *,
    direction: Direction | None = None,
    max_prebins: int = DEFAULT_MAX_PREBINS,
    min_bin_share: float = DEFAULT_MIN_BIN_SHARE,
) -> FeatureBinning:
    """Monotonic bins of a numeric feature; ``direction`` None = the one with the larger IV."""
    if direction is None:
        candidates = [
            bin_numeric(name, values, bad, direction=d, max_prebins=max_prebins,
                        min_bin_share=min_bin_share)
            for d in ("increasing", "decreasing")
        ]  # fmt: skip
        return max(candidates, key=lambda b: (b.information_value, b.direction == "increasing"))
    present = [
        (float(v), b)  # type: ignore[arg-type]
        for v, b in zip(values, bad, strict=True)
        if not is_missing(v)
    ]
    xs = np.array([x for x, _ in present], dtype=float)
    ys = np.array([b for _, b in present], dtype=bool)
    quantiles = np.linspace(0, 1, max_prebins + 1)[1:-1]
    cuts = (
        sorted({float(c) for c in np.quantile(xs, quantiles, method="higher")}) if len(xs) else []
    )
    cuts = [c for c in cuts if len(xs) and c > xs.min()]
    index = np.searchsorted(np.array(cuts), xs, side="right")
    counts = [int(n) for n in np.bincount(index, minlength=len(cuts) + 1)]
    bads = [int(n) for n in np.bincount(index, weights=ys, minlength=len(cuts) + 1)]
    min_count = max(1, math.ceil(min_bin_share * len(values)))
    _merge_numeric(cuts, counts, bads, direction, min_count)
    total_bad = sum(bad)
    total_good = len(bad) - total_bad
    bounds: list[float | None] = [None, *cuts, None]
    bins = [
        Bin(
            label=_numeric_label(bounds[i], bounds[i + 1]),
            woe=weight_of_evidence(n - b, b, total_good, total_bad),
            count=n,
            bad_count=b,
            lower=bounds[i],
            upper=bounds[i + 1],
        )
        for i, (n, b) in enumerate(zip(counts, bads, strict=True))
    ]
    bins.append(_missing_bin(values, bad, total_good, total_bad))
    return FeatureBinning(name=name, kind="numeric", bins=tuple(bins), direction=direction)


def _missing_bin(
    values: Sequence[object], bad: Sequence[bool], total_good: int, total_bad: int
) -> Bin:
    """The missing bin; with no missing rows in training it is neutral (WoE 0)."""
    flags = [b for v, b in zip(values, bad, strict=True) if is_missing(v)]
    n, b = len(flags), sum(flags)
    woe = weight_of_evidence(n - b, b, total_good, total_bad) if n else 0.0
    return Bin(label=MISSING_LABEL, woe=woe, count=n, bad_count=b, is_missing=True)


# -- categorical ----------------------------------------------------------------------------


def bin_categorical(
    name: str,
    values: Sequence[object],
    bad: Sequence[bool],
    *,
    min_bin_share: float = DEFAULT_MIN_BIN_SHARE,
) -> FeatureBinning:
    """One bin per category; categories under ``min_bin_share`` of the rows share "other"."""
    present = [(str(v), b) for v, b in zip(values, bad, strict=True) if not is_missing(v)]
    counts = Counter(v for v, _ in present)
    if len(counts) > MAX_CATEGORIES:
        raise TooManyCategoriesError(f"{name}: {len(counts)} categories > {MAX_CATEGORIES}")
    bads = Counter(v for v, b in present if b)
    min_count = math.ceil(min_bin_share * len(values))
    total_bad = sum(bad)
    total_good = len(bad) - total_bad
    kept = sorted((c for c in counts if counts[c] >= min_count), key=lambda c: -counts[c])
    rare = sorted(c for c in counts if counts[c] < min_count)
    bins = [
        Bin(
            label=c,
            woe=weight_of_evidence(counts[c] - bads[c], bads[c], total_good, total_bad),
            count=counts[c],
            bad_count=bads[c],
            categories=(c,),
        )
        for c in kept
    ]
    n, b = sum(counts[c] for c in rare), sum(bads[c] for c in rare)
    other_woe = weight_of_evidence(n - b, b, total_good, total_bad) if n else 0.0
    bins.append(
        Bin(
            label=OTHER_LABEL,
            woe=other_woe,
            count=n,
            bad_count=b,
            categories=tuple(rare),
            is_other=True,
        )
    )
    bins.append(_missing_bin(values, bad, total_good, total_bad))
    return FeatureBinning(name=name, kind="categorical", bins=tuple(bins))
