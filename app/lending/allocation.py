"""Repayment allocation: an amount clears the debt's parts in the product's order
(penalty interest -> interest -> principal by default); anything left is overpayment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Allocation:
    penalty_minor: int
    interest_minor: int
    principal_minor: int
    overpayment_minor: int

    @property
    def total_minor(self) -> int:
        return (
            self.penalty_minor + self.interest_minor + self.principal_minor + self.overpayment_minor
        )


def allocate(amount_minor: int, order: Sequence[str], owed: Mapping[str, int]) -> Allocation:
    """Split ``amount_minor`` over ``owed`` (keys penalty, interest, principal) in ``order``."""
    if amount_minor < 0:
        raise ValueError("cannot allocate a negative amount")
    left = amount_minor
    taken = {}
    for part in order:
        taken[part] = min(left, max(owed.get(part, 0), 0))
        left -= taken[part]
    return Allocation(
        taken.get("penalty", 0), taken.get("interest", 0), taken.get("principal", 0), left
    )
