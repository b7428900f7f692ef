"""The draw of a group application's approvers: reproducible from the stored seed and
candidates, independent of their order, never more than asked, refused when too few, and
spread over the candidates (no member is favoured)."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.groups.draw import SEED_BYTES, TooFew, draw, new_seed

SEEDS = st.binary(min_size=SEED_BYTES, max_size=SEED_BYTES).map(bytes.hex)
CANDIDATES = st.lists(st.integers(1, 10**9), min_size=3, max_size=40, unique=True)


@given(SEEDS, CANDIDATES)
def test_the_same_seed_and_candidates_draw_the_same_members_in_any_order(
    seed: str, candidates: list[int]
) -> None:
    drawn = draw(seed, candidates, 3)
    assert drawn == draw(seed, list(reversed(candidates)), 3)
    assert len(set(drawn)) == 3
    assert set(drawn) <= set(candidates)


def test_a_known_seed_draws_known_members() -> None:
    """Pinned: a stored draw can be checked by anyone, on any Python, years later."""
    seed = "00" * SEED_BYTES
    assert draw(seed, list(range(4, 11)), 3) == draw(seed, [10, 9, 8, 7, 6, 5, 4], 3)
    assert draw(seed, list(range(4, 11)), 3) == [7, 9, 6]


@given(SEEDS, CANDIDATES)
def test_the_draw_is_the_documented_rule(seed: str, candidates: list[int]) -> None:
    """docs/groups.md: rank by SHA-256(seed bytes + b":" + decimal id), take the lowest."""

    def rank(candidate: int) -> bytes:
        return hashlib.sha256(bytes.fromhex(seed) + b":" + str(candidate).encode()).digest()

    assert draw(seed, candidates, 3) == sorted(candidates, key=rank)[:3]


def test_fewer_candidates_than_approvers_cannot_draw() -> None:
    with pytest.raises(TooFew):
        draw(new_seed(), [1, 2], 3)


def test_bad_seeds_and_repeated_candidates_are_refused() -> None:
    with pytest.raises(ValueError, match="seed"):
        draw("ab", [1, 2, 3], 3)
    with pytest.raises(ValueError, match="twice"):
        draw(new_seed(), [1, 1, 2, 3], 3)


def test_fresh_seeds_differ_and_spread_the_draw_over_every_candidate() -> None:
    seeds = {new_seed() for _ in range(700)}
    assert len(seeds) == 700
    counts = Counter(member for seed in seeds for member in draw(seed, list(range(7)), 3))
    assert set(counts) == set(range(7))
    # 700 draws of 3 from 7: each is drawn 300 times on average; 200-400 is > 10 sigma wide.
    assert all(200 <= count <= 400 for count in counts.values()), counts
