"""Access tokens expire in 15 minutes; refresh tokens rotate, work once, and a reused one ends
the whole session; sign-out, PIN changes and the device cap revoke sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.mobile.tokens import MAX_SESSIONS_PER_BORROWER
from tests.e2e.test_app_api_support import AppWorld, bearer, open_app
from tests.support.lending import Fund


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        world = w
        world.register()
        yield world


def refresh(world: AppWorld, token: str) -> tuple[int, dict[str, object]]:
    answer = world.post("/auth/refresh", {"refresh_token": token})
    return answer.status_code, answer.json()


def test_an_access_token_expires_after_15_minutes_and_a_refresh_gives_a_new_pair(
    world: AppWorld,
) -> None:
    tokens = world.login()
    world.fund.clock.advance(minutes=14, seconds=59)
    assert world.get("/me", headers=bearer(tokens)).status_code == 200
    world.fund.clock.advance(seconds=1)
    expired = world.get("/me", headers=bearer(tokens))
    assert expired.status_code == 401
    assert expired.headers["content-type"] == "application/problem+json"
    assert expired.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    status, fresh = refresh(world, str(tokens["refresh_token"]))
    assert status == 200
    assert fresh["access_token"] != tokens["access_token"]
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert world.get("/me", headers=bearer(fresh)).status_code == 200


def test_a_reused_refresh_token_ends_the_whole_session(world: AppWorld) -> None:
    stolen = world.login()
    status, legitimate = refresh(world, str(stolen["refresh_token"]))
    assert status == 200
    status, problem = refresh(world, str(stolen["refresh_token"]))  # the copy comes back
    assert (status, problem["type"]) == (401, "urn:mkopo:problem:refresh_token_reused")
    # Both holders are out: the family is revoked, the newest tokens included.
    assert world.get("/me", headers=bearer(legitimate)).status_code == 401
    status, problem = refresh(world, str(legitimate["refresh_token"]))
    assert (status, problem["type"]) == (401, "urn:mkopo:problem:invalid_refresh_token")
    # Another device's session is untouched.
    assert world.get("/me", headers=bearer(world.login())).status_code == 200


def test_a_refresh_token_expires_after_30_days_and_a_session_after_90(world: AppWorld) -> None:
    tokens = world.login()
    world.fund.clock.advance(days=30)
    assert refresh(world, str(tokens["refresh_token"]))[0] == 401
    tokens = world.login()
    for _ in range(3):  # refreshed every 29 days: the session still ends 90 days after sign-in
        world.fund.clock.advance(days=29)
        status, tokens = refresh(world, str(tokens["refresh_token"]))
        assert status == 200
    assert tokens["refresh_expires_in_s"] == 3 * 86_400
    world.fund.clock.advance(days=3)
    assert refresh(world, str(tokens["refresh_token"]))[0] == 401


def test_the_sixth_device_signs_the_oldest_out(world: AppWorld) -> None:
    devices = [world.login() for _ in range(MAX_SESSIONS_PER_BORROWER + 1)]
    statuses = [world.get("/me", headers=bearer(d)).status_code for d in devices]
    # The registration's session and the first sign-in were the oldest two.
    assert statuses == [401] + [200] * MAX_SESSIONS_PER_BORROWER


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-token",
        "Bearer mka_" + "A" * 43,
        "Bearer mkr_" + "0" * 32 + "." + "A" * 43,  # a refresh token is not an access token
    ],
)
def test_no_or_a_bad_bearer_token_gets_401_problem_json(
    world: AppWorld, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = world.get("/me", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("token", "status"),
    [
        ("", 422),  # refused by the schema
        ("garbage", 401),
        ("mka_" + "A" * 43, 401),
        ("mkr_" + "0" * 32 + "." + "A" * 43, 401),
    ],
)
def test_a_made_up_refresh_token_is_refused(world: AppWorld, token: str, status: int) -> None:
    assert refresh(world, token)[0] == status
