"""Abuse limits over HTTP: codes sent, wrong codes and wrong PINs, per phone and per client
IP, answered 429 problem+json with Retry-After; body size and page caps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.mobile.limits import (
    CODE_GUESSES_PER_IP,
    CODE_SENDS_PER_IP,
    CODE_SENDS_PER_PHONE,
    PIN_GUESSES_PER_IP,
    PIN_GUESSES_PER_PHONE,
)
from tests.e2e.test_app_api_support import GOOD_PHONE, PIN, AppWorld, bearer, open_app
from tests.support.lending import Fund

FIFTEEN_MINUTES_S = 15 * 60


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        yield w


def phone(n: int) -> str:
    """A distinct Kenyan mobile number per n (not on anyone's list)."""
    return f"07220{n:05d}"


def assert_too_many(answer: Any, retry_after_s: int = FIFTEEN_MINUTES_S) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "urn:mkopo:problem:too_many_requests"
    assert answer.headers["retry-after"] == str(retry_after_s)


def problem_type(answer: Any) -> str:
    return str(answer.json()["type"]).removeprefix("urn:mkopo:problem:")


def test_a_fourth_code_for_one_number_in_15_minutes_waits_for_the_window(
    world: AppWorld,
) -> None:
    for _ in range(CODE_SENDS_PER_PHONE.limit):
        assert world.post("/registration/start", {"phone": GOOD_PHONE}).status_code == 202
    world.fund.clock.advance(minutes=5)
    assert_too_many(world.post("/registration/start", {"phone": GOOD_PHONE}), 10 * 60)
    assert len(world.sms.messages_to(GOOD_PHONE)) == CODE_SENDS_PER_PHONE.limit
    world.fund.clock.advance(minutes=10)
    assert world.post("/registration/start", {"phone": GOOD_PHONE}).status_code == 202


def test_one_address_may_ask_codes_for_20_numbers_in_15_minutes(world: AppWorld) -> None:
    for n in range(CODE_SENDS_PER_IP.limit):
        assert world.post("/registration/start", {"phone": phone(n)}).status_code == 202
    assert_too_many(world.post("/registration/start", {"phone": phone(99)}))


def test_five_wrong_guesses_use_a_code_up_and_it_lasts_5_minutes(world: AppWorld) -> None:
    world.post("/registration/start", {"phone": GOOD_PHONE})
    right = world.last_code(GOOD_PHONE)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    answers = [
        world.post("/registration/verify", {"phone": GOOD_PHONE, "code": wrong}) for _ in range(5)
    ]
    assert [problem_type(a) for a in answers] == ["wrong_code"] * 4 + ["code_expired"]
    assert answers[0].json()["detail"] == "Wrong code: 4 tries left"
    late = world.post("/registration/verify", {"phone": GOOD_PHONE, "code": right})
    assert problem_type(late) == "code_expired"
    world.post("/registration/start", {"phone": GOOD_PHONE})
    world.fund.clock.advance(minutes=5)
    expired = world.post(
        "/registration/verify", {"phone": GOOD_PHONE, "code": world.last_code(GOOD_PHONE)}
    )
    assert problem_type(expired) == "code_expired"


def test_a_number_gets_ten_wrong_codes_in_15_minutes_whatever_codes_it_asks_for(
    world: AppWorld,
) -> None:
    for _ in range(2):
        world.post("/registration/start", {"phone": GOOD_PHONE})
        for _ in range(5):
            world.post("/registration/verify", {"phone": GOOD_PHONE, "code": "000000"})
    world.post("/registration/start", {"phone": GOOD_PHONE})
    code = world.last_code(GOOD_PHONE)
    assert_too_many(world.post("/registration/verify", {"phone": GOOD_PHONE, "code": code}))


def test_one_address_gets_50_wrong_codes_in_15_minutes(world: AppWorld) -> None:
    for n in range(CODE_GUESSES_PER_IP.limit):
        answer = world.post("/registration/verify", {"phone": phone(n), "code": "123456"})
        assert answer.status_code == 422
    assert_too_many(world.post("/registration/verify", {"phone": phone(99), "code": "123456"}))


def test_five_wrong_pins_lock_the_account_then_the_number_is_rate_limited(
    world: AppWorld,
) -> None:
    world.register()
    answers = [
        world.post("/auth/login", {"phone": GOOD_PHONE, "pin": "1357"})
        for _ in range(PIN_GUESSES_PER_PHONE.limit)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 423]
    assert_too_many(world.post("/auth/login", {"phone": GOOD_PHONE, "pin": PIN}))


def test_an_unknown_number_gets_the_same_401_as_a_wrong_pin_then_429(world: AppWorld) -> None:
    world.register()
    wrong_pin = world.post("/auth/login", {"phone": GOOD_PHONE, "pin": "1357"}).json()
    unknown = [
        world.post("/auth/login", {"phone": phone(1), "pin": "1357"})
        for _ in range(PIN_GUESSES_PER_PHONE.limit)
    ]
    assert {a.status_code for a in unknown} == {401}
    assert unknown[0].json() == wrong_pin
    assert_too_many(world.post("/auth/login", {"phone": phone(1), "pin": "1357"}))


def test_one_address_gets_30_wrong_pins_in_15_minutes_across_numbers(world: AppWorld) -> None:
    world.register()
    for n in range(PIN_GUESSES_PER_IP.limit):
        assert world.post("/auth/login", {"phone": phone(n), "pin": "1357"}).status_code == 401
    # Even the right PIN waits: the address is refused before any PIN is checked.
    assert_too_many(world.post("/auth/login", {"phone": GOOD_PHONE, "pin": PIN}))


def test_right_pins_are_not_counted(world: AppWorld) -> None:
    world.register()
    for _ in range(PIN_GUESSES_PER_PHONE.limit + 3):
        world.login()


def test_a_wrong_current_pin_is_403_and_counts_a_weak_new_pin_does_not(world: AppWorld) -> None:
    auth = bearer(world.register())
    weak = world.post("/me/pin", {"current_pin": PIN, "new_pin": "1234"}, headers=auth)
    assert (weak.status_code, problem_type(weak)) == (422, "pin_too_weak")
    wrong = world.post("/me/pin", {"current_pin": "1357", "new_pin": "2468"}, headers=auth)
    assert (wrong.status_code, problem_type(wrong)) == (403, "wrong_pin")
    assert wrong.json()["detail"] == "Wrong PIN: 4 tries left"
    for _ in range(3):
        world.post("/me/pin", {"current_pin": "1357", "new_pin": "2468"}, headers=auth)
    locked = world.post("/me/pin", {"current_pin": "1357", "new_pin": "2468"}, headers=auth)
    assert (locked.status_code, problem_type(locked)) == (423, "pin_locked")
    assert_too_many(world.post("/me/pin", {"current_pin": PIN, "new_pin": "2468"}, headers=auth))


def test_a_body_over_2_kib_is_refused_before_it_is_read_as_json(world: AppWorld) -> None:
    auth = bearer(world.register())
    big = {"phone": "0" * 3_000}
    for path, headers in [("/registration/start", {}), ("/quotes", auth)]:
        answer = world.post(path, big, headers=headers)
        assert answer.status_code == 413, path
        assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "offset=-1", "offset=10001", "limit=many"]
)
def test_pages_are_capped(world: AppWorld, query: str) -> None:
    auth = bearer(world.register())
    for path in ("/loans", "/statement"):
        answer = world.get(f"{path}?{query}", headers=auth)
        assert answer.status_code == 422, (path, query)
    assert world.get("/statement?limit=100&offset=10000", headers=auth).status_code == 200
