"""The group score and limit formula (app/groups/score.py, docs/groups.md): worked examples,
the rules that set the limit to nothing, and the reasons."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.groups.score import BAND_POINTS, LimitRules, MemberRecord, member_points, standing

KES = 100
RULES = LimitRules(min_members=10, min_amount_minor=20_000 * KES, max_amount_minor=1_000_000 * KES)


def member(n: int, band: str | None = "B1", **overrides: object) -> MemberRecord:
    values: dict[str, object] = {
        "borrower_id": n,
        "band": band,
        "repaid_on_time": 0,
        "ever_defaulted": False,
        "in_default": False,
        "limit_minor": 5_000 * KES,
    }
    values.update(overrides)
    return MemberRecord(**values)  # type: ignore[arg-type]


def test_member_points_band_repayments_and_defaults() -> None:
    assert member_points(member(1, "A1", repaid_on_time=7))[0] == 100  # 90 + 10 (capped)
    assert member_points(member(1, "B1", repaid_on_time=2))[0] == 74
    assert member_points(member(1, None))[0] == 45
    assert member_points(member(1, "C3", ever_defaulted=True))[0] == 10
    points, lost = member_points(member(1, "A1", in_default=True))
    assert points == 0
    assert lost["in_default"] == 90


def test_ten_b1_members_worked_example() -> None:
    """Ten B1 members (70 points each), a group active 65 days (+2): score 72, so 75% of
    twice KES 50,000: KES 75,000."""
    result = standing([member(n) for n in range(10)], 65, RULES)
    assert result.score == 72
    assert result.limit_minor == 75_000 * KES
    assert [r["factor"] for r in result.reasons] == ["band", "repayment", "young_group"]
    assert result.reasons[0]["points_lost"] == 20
    assert result.facts["mean_points"] == 70


def test_a_member_in_default_stops_the_group_limit() -> None:
    members = [member(n) for n in range(9)] + [member(9, in_default=True)]
    result = standing(members, 0, RULES)
    assert result.limit_minor == 0
    assert result.reasons[0]["factor"] == "member_in_default"


def test_too_few_members_a_low_score_or_small_limits_give_no_limit() -> None:
    assert standing([member(n) for n in range(9)], 0, RULES).reasons[0]["factor"] == (
        "too_few_members"
    )
    low = standing([member(n, "C3") for n in range(10)], 0, RULES)
    assert (low.score, low.limit_minor, low.reasons[0]["factor"]) == (30, 0, "score_too_low")
    small = standing([member(n, limit_minor=500 * KES) for n in range(10)], 0, RULES)
    assert small.limit_minor == 0
    assert small.reasons[0]["factor"] == "below_product_minimum"


def test_the_product_maximum_caps_the_limit() -> None:
    rich = [member(n, "A1", repaid_on_time=5, limit_minor=100_000 * KES) for n in range(10)]
    result = standing(rich, 400, RULES)
    assert result.score == 100
    assert result.limit_minor == 1_000_000 * KES
    assert result.reasons[0]["factor"] == "product_maximum"


@given(
    st.lists(
        st.builds(
            MemberRecord,
            borrower_id=st.integers(1, 10**6),
            band=st.sampled_from([None, *BAND_POINTS]),
            repaid_on_time=st.integers(0, 50),
            ever_defaulted=st.booleans(),
            in_default=st.booleans(),
            limit_minor=st.integers(0, 10**8),
        ),
        max_size=30,
    ),
    st.integers(0, 3000),
)
def test_score_and_limit_stay_in_range(members: list[MemberRecord], days: int) -> None:
    result = standing(members, days, RULES)
    assert 0 <= result.score <= 100
    assert result.limit_minor == 0 or (
        RULES.min_amount_minor <= result.limit_minor <= RULES.max_amount_minor
    )
    assert result.limit_minor % (1_000 * KES) == 0
    assert all(r["points_lost"] >= 0 for r in result.reasons)
