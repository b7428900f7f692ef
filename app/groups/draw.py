"""The draw of an application's approvers: seeded, recorded, reproducible, not steerable.

``new_seed`` takes 32 bytes from ``secrets`` (the applicant neither sees nor chooses it
before the draw). ``draw(seed, candidates, k)`` ranks each candidate by SHA-256 of the seed
and the candidate's id and takes the ``k`` lowest: the same seed and candidates always give
the same members, whatever the Python version (no ``random`` module state), and the order the
candidates are listed in does not matter. Candidates are the active members who are not
officials (so never the applicant); fewer than ``k`` and there is no draw (``TooFew``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

SEED_BYTES = 32


class TooFew(ValueError):
    """Fewer candidates than members to draw."""


def new_seed() -> str:
    return secrets.token_hex(SEED_BYTES)


def _rank(seed: bytes, candidate: int) -> bytes:
    return hashlib.sha256(seed + b":" + str(candidate).encode()).digest()


def draw(seed: str, candidates: Sequence[int], k: int) -> list[int]:
    """``k`` distinct candidates, in draw order."""
    unique = sorted(set(candidates))
    if len(unique) != len(candidates):
        raise ValueError("a candidate is listed twice")
    if len(unique) < k:
        raise TooFew(f"{len(unique)} candidates, {k} to draw")
    raw = bytes.fromhex(seed)
    if len(raw) != SEED_BYTES:
        raise ValueError(f"a seed is {SEED_BYTES} bytes of hex")
    return sorted(unique, key=lambda c: _rank(raw, c))[:k]
