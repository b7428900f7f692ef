"""The group score and limit: a pure formula over the members' records and the group's age
(docs/groups.md, "Group score and limit"). No database, no clock.

Member points (0-100): the member's score band (``BAND_POINTS``; not yet scored: 45), plus
2 per loan repaid on time (at most +10), minus 20 if they ever defaulted; a member in
default now counts 0. Group score: the members' mean points (rounded down) plus one point
per full 30 days since the group became active (at most +5), capped at 100.

Limit: 0 while any active member is in default, while the group has fewer active members than
the product's minimum, or when the score is under 40. Otherwise the members' individual limits
summed, times ``CAPACITY_MULTIPLE``, times the score's share (80+: 100%, 60-79: 75%, 40-59:
50%), rounded down to KES 1,000 and capped at the product's maximum; under the product's
minimum it is 0.

Reasons are given as for an individual's score: each factor that cost the group points, with
the points it cost (averaged over the members), most costly first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

BAND_POINTS = {
    "A1": 90,
    "A2": 85,
    "A3": 80,
    "B1": 70,
    "B2": 65,
    "B3": 60,
    "C1": 50,
    "C2": 40,
    "C3": 30,
}
UNSCORED_POINTS = 45
TOP_BAND_POINTS = max(BAND_POINTS.values())
REPAID_POINTS = 2
REPAID_POINTS_MAX = 10
PAST_DEFAULT_POINTS = 20
AGE_DAYS_PER_POINT = 30
AGE_POINTS_MAX = 5
MAX_SCORE = 100
CAPACITY_MULTIPLE = 2
LIMIT_STEP_MINOR = 100_000
"""Limits are whole KES 1,000s."""
SHARE_BY_SCORE: tuple[tuple[int, int], ...] = ((80, 100), (60, 75), (40, 50))
"""(lowest score, percent of capacity), best first; below the last: no limit."""

LABELS = {
    "band": "members' score bands",
    "unscored": "members not yet scored",
    "repayment": "few loans repaid on time",
    "past_default": "members who defaulted before",
    "in_default": "members in default now",
    "young_group": "a young group (under 5 months active)",
}


@dataclass(frozen=True, slots=True)
class MemberRecord:
    borrower_id: int
    band: str | None
    repaid_on_time: int
    ever_defaulted: bool
    in_default: bool
    limit_minor: int


@dataclass(frozen=True, slots=True)
class LimitRules:
    min_members: int
    min_amount_minor: int
    max_amount_minor: int


@dataclass(frozen=True, slots=True)
class Standing:
    score: int
    limit_minor: int
    reasons: list[dict[str, Any]]
    facts: dict[str, Any] = field(default_factory=dict)


def member_points(member: MemberRecord) -> tuple[int, dict[str, int]]:
    """A member's points and what each factor cost them (against a perfect 100)."""
    lost: dict[str, int] = {}
    band = BAND_POINTS.get(member.band or "", UNSCORED_POINTS)
    lost["band" if member.band in BAND_POINTS else "unscored"] = TOP_BAND_POINTS - band
    bonus = min(REPAID_POINTS * max(member.repaid_on_time, 0), REPAID_POINTS_MAX)
    lost["repayment"] = REPAID_POINTS_MAX - bonus
    points = band + bonus
    if member.ever_defaulted:
        penalty = min(PAST_DEFAULT_POINTS, points)
        lost["past_default"], points = penalty, points - penalty
    if member.in_default:
        lost["in_default"], points = points, 0
    return points, lost


def standing(members: Sequence[MemberRecord], days_active: int, rules: LimitRules) -> Standing:
    """The group's score, limit and reasons from its active members and its age in days."""
    count = len(members)
    losses: dict[str, int] = {}
    total = 0
    per_member: dict[str, int] = {}
    for member in members:
        points, lost = member_points(member)
        total += points
        per_member[str(member.borrower_id)] = points
        for factor, value in lost.items():
            losses[factor] = losses.get(factor, 0) + value
    mean = total // count if count else 0
    age = min(max(days_active, 0) // AGE_DAYS_PER_POINT, AGE_POINTS_MAX)
    score = min(mean + age, MAX_SCORE)
    lost_points = {k: v // count for k, v in losses.items()} if count else {}
    lost_points["young_group"] = AGE_POINTS_MAX - age
    reasons = [
        {"factor": factor, "label": LABELS[factor], "points_lost": value}
        for factor, value in sorted(lost_points.items(), key=lambda kv: (-kv[1], kv[0]))
        if value > 0
    ]
    limit, limit_reason = group_limit(score, members, rules)
    if limit_reason is not None:
        reasons.insert(0, limit_reason)
    facts = {
        "members": count,
        "member_points": per_member,
        "mean_points": mean,
        "age_points": age,
        "days_active": days_active,
        "members_limit_minor": sum(m.limit_minor for m in members),
    }
    return Standing(score, limit, reasons, facts)


def score_share_percent(score: int) -> int:
    for lowest, percent in SHARE_BY_SCORE:
        if score >= lowest:
            return percent
    return 0


def group_limit(
    score: int, members: Sequence[MemberRecord], rules: LimitRules
) -> tuple[int, dict[str, Any] | None]:
    """The limit and, when a rule held it down, the reason (first of the reasons)."""
    if any(m.in_default for m in members):
        return 0, _why("member_in_default", "a member is in default: no group loan until repaid")
    if len(members) < rules.min_members:
        return 0, _why("too_few_members", f"fewer than {rules.min_members} active members")
    percent = score_share_percent(score)
    if percent == 0:
        return 0, _why("score_too_low", f"a group score under {SHARE_BY_SCORE[-1][0]}")
    capacity = CAPACITY_MULTIPLE * sum(max(m.limit_minor, 0) for m in members)
    limit = capacity * percent // 100 // LIMIT_STEP_MINOR * LIMIT_STEP_MINOR
    if limit > rules.max_amount_minor:
        return rules.max_amount_minor, _why("product_maximum", "the product's maximum")
    if limit < rules.min_amount_minor:
        return 0, _why("below_product_minimum", "the members' limits are too small together")
    return limit, None


def _why(factor: str, label: str) -> dict[str, Any]:
    return {"factor": factor, "label": label, "points_lost": 0}
