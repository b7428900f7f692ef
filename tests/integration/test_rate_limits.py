"""The database rate limiter: fixed windows, one atomic UPSERT per hit, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.db.session import Sessions
from app.security.rate_limits import (
    InvalidRateRule,
    RateLimitCounter,
    RateRule,
    charge,
    refund,
    refused,
)
from tests.support.clock import FrozenClock

THREE_PER_15_MIN = RateRule("pin_guess_phone", 3, timedelta(minutes=15))


def counters(sessions: Sessions) -> dict[str, int]:
    with sessions.reader() as session:
        rows = session.execute(select(RateLimitCounter.key, RateLimitCounter.hits)).all()
    return {row.key: row.hits for row in rows}


def test_the_fourth_guess_in_15_minutes_waits_for_the_window_to_end(
    sessions: Sessions, clock: FrozenClock
) -> None:
    clock.current = datetime(2026, 3, 2, 7, 5, tzinfo=UTC)  # 5 minutes into a window
    allowed = [charge(sessions, [(THREE_PER_15_MIN, "phone-a")], clock())[0] for _ in range(3)]
    assert [h.count for h in allowed] == [1, 2, 3]
    assert all(h.allowed for h in allowed)
    fourth = charge(sessions, [(THREE_PER_15_MIN, "phone-a")], clock())[0]
    assert not fourth.allowed
    assert fourth.retry_after_s == 10 * 60
    clock.advance(minutes=9, seconds=59)
    assert charge(sessions, [(THREE_PER_15_MIN, "phone-a")], clock())[0].retry_after_s == 1
    clock.advance(seconds=1)  # the next window
    again = charge(sessions, [(THREE_PER_15_MIN, "phone-a")], clock())[0]
    assert (again.count, again.allowed) == (1, True)


def test_subjects_and_rules_are_counted_apart(sessions: Sessions, clock: FrozenClock) -> None:
    per_ip = RateRule("pin_guess_ip", 3, timedelta(minutes=15))
    for _ in range(3):
        charge(sessions, [(THREE_PER_15_MIN, "phone-a")], clock())
    hits = charge(
        sessions, [(THREE_PER_15_MIN, "phone-b"), (per_ip, "phone-a")], clock()
    )  # same subject text, other rule
    assert [(h.key, h.count) for h in hits] == [
        ("pin_guess_phone:phone-b", 1),
        ("pin_guess_ip:phone-a", 1),
    ]
    assert counters(sessions)["pin_guess_phone:phone-a"] == 3


def test_every_rule_is_charged_even_when_one_refuses(
    sessions: Sessions, clock: FrozenClock
) -> None:
    per_ip = RateRule("pin_guess_ip", 10, timedelta(minutes=15))
    for _ in range(3):
        charge(sessions, [(THREE_PER_15_MIN, "phone-a"), (per_ip, "ip-1")], clock())
    hits = charge(sessions, [(THREE_PER_15_MIN, "phone-a"), (per_ip, "ip-1")], clock())
    over = refused(hits)
    assert over is not None
    assert over.key == "pin_guess_phone:phone-a"
    assert counters(sessions)["pin_guess_ip:ip-1"] == 4


def test_forgiven_hits_do_not_count_and_a_count_never_goes_below_zero(
    sessions: Sessions, clock: FrozenClock
) -> None:
    for _ in range(5):  # five right PINs: each reserved a slot, each given back
        hits = charge(sessions, [(THREE_PER_15_MIN, "phone-a")], clock())
        assert hits[0].allowed
        refund(sessions, hits)
    assert counters(sessions)["pin_guess_phone:phone-a"] == 0
    refund(sessions, hits)
    assert counters(sessions)["pin_guess_phone:phone-a"] == 0


def test_a_new_window_prunes_windows_that_have_ended(
    sessions: Sessions, clock: FrozenClock
) -> None:
    for subject in ("a", "b", "c"):
        charge(sessions, [(THREE_PER_15_MIN, subject)], clock())
    clock.advance(minutes=15)
    charge(sessions, [(THREE_PER_15_MIN, "a")], clock())  # opens a window: prunes the old
    assert counters(sessions) == {"pin_guess_phone:a": 1}


def test_concurrent_guesses_are_each_counted_and_only_the_limit_gets_through(
    sessions: Sessions, clock: FrozenClock
) -> None:
    def guess(_: int) -> bool:
        return charge(sessions, [(THREE_PER_15_MIN, "phone-a")], clock())[0].allowed

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(24)))
    assert outcomes.count(True) == 3
    assert counters(sessions)["pin_guess_phone:phone-a"] == 24
    with sessions.reader() as session:
        assert session.scalar(select(func.count()).select_from(RateLimitCounter)) == 1


@pytest.mark.parametrize(
    ("name", "limit", "window"),
    [
        ("Login", 3, timedelta(minutes=1)),
        ("login:phone", 3, timedelta(minutes=1)),
        ("login", 0, timedelta(minutes=1)),
        ("login", 3, timedelta(milliseconds=1500)),
    ],
)
def test_a_rule_has_a_plain_name_a_positive_limit_and_whole_seconds(
    name: str, limit: int, window: timedelta
) -> None:
    with pytest.raises(InvalidRateRule):
        RateRule(name, limit, window)


def test_a_subject_must_fit_the_key_column(sessions: Sessions, clock: FrozenClock) -> None:
    with pytest.raises(InvalidRateRule):
        charge(sessions, [(THREE_PER_15_MIN, "x" * 200)], clock())
    with pytest.raises(InvalidRateRule):
        charge(sessions, [(THREE_PER_15_MIN, "")], clock())
