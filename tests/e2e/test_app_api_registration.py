"""Registration over the app API: the code proves the phone, the identity register and the
network decide eligibility, and a refusal leaves the verification usable for a retry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.notifications.models import SmsMessage
from tests.e2e.test_app_api_support import (
    GOOD_ID,
    GOOD_PHONE,
    OTHER_ID,
    OTHER_PHONE,
    PIN,
    AppWorld,
    open_app,
)
from tests.support.lending import Fund

MINOR_ID = "12345677"  # 15 years old in the identity simulator
YOUNG_SIM = "0712345603"  # registered 30 days ago


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        yield w


def complete(world: AppWorld, token: str, **changes: Any) -> Any:
    body = {"verification_token": token, "national_id": GOOD_ID, "accept_terms": True, "pin": PIN}
    return world.post("/registration/complete", body | changes)


def problem_type(answer: Any) -> str:
    return str(answer.json()["type"]).removeprefix("urn:mkopo:problem:")


@pytest.mark.parametrize(
    ("changes", "status", "problem"),
    [
        ({"national_id": MINOR_ID}, 422, "underage"),
        ({"national_id": "91234567"}, 422, "identity_not_found"),
        ({"national_id": "12-34"}, 422, "invalid_national_id"),
        ({"accept_terms": False}, 422, "terms_not_accepted"),
        ({"pin": "1234"}, 422, "pin_too_weak"),
        ({"pin": "12a4"}, 422, "pin_too_weak"),
    ],
)
def test_a_refused_registration_can_be_retried_with_the_same_verification(
    world: AppWorld, changes: dict[str, Any], status: int, problem: str
) -> None:
    token = world.verify(GOOD_PHONE)
    refused = complete(world, token, **changes)
    assert (refused.status_code, problem_type(refused)) == (status, problem)
    assert complete(world, token).status_code == 201
    used = complete(world, token)  # a verification registers once
    assert (used.status_code, problem_type(used)) == (401, "verification_invalid")


def test_a_sim_younger_than_90_days_is_refused(world: AppWorld) -> None:
    refused = complete(world, world.verify(YOUNG_SIM))
    assert (refused.status_code, problem_type(refused)) == (422, "sim_too_new")


def test_a_registered_number_gets_a_code_like_any_other_but_cannot_register_again(
    world: AppWorld,
) -> None:
    world.register()
    started = world.post("/registration/start", {"phone": GOOD_PHONE})
    fresh = world.post("/registration/start", {"phone": OTHER_PHONE})
    assert (started.status_code, started.json()) == (fresh.status_code, fresh.json())
    again = complete(world, world.verify(GOOD_PHONE), pin="2468")
    assert (again.status_code, problem_type(again)) == (409, "already_registered")
    world.login(GOOD_PHONE, PIN)  # the PIN sent with the refused registration changed nothing
    taken = complete(world, world.verify(OTHER_PHONE))  # GOOD_ID is on GOOD_PHONE
    assert (taken.status_code, problem_type(taken)) == (409, "national_id_registered_elsewhere")


def test_a_new_code_replaces_the_last_one(world: AppWorld) -> None:
    world.post("/registration/start", {"phone": GOOD_PHONE})
    old = world.last_code(GOOD_PHONE)
    world.post("/registration/start", {"phone": GOOD_PHONE})
    new = world.last_code(GOOD_PHONE)
    if old != new:  # one chance in a million that they are equal
        stale = world.post("/registration/verify", {"phone": GOOD_PHONE, "code": old})
        assert problem_type(stale) == "wrong_code"
    assert world.post("/registration/verify", {"phone": GOOD_PHONE, "code": new}).status_code == 200


def test_a_verification_lasts_15_minutes(world: AppWorld) -> None:
    token = world.verify(GOOD_PHONE)
    world.fund.clock.advance(minutes=15)
    late = complete(world, token)
    assert (late.status_code, problem_type(late)) == (401, "verification_invalid")


@pytest.mark.parametrize("phone", ["0212345678", "+255712345678", "07123A5678"])
def test_a_number_that_is_not_a_kenyan_mobile_is_422(world: AppWorld, phone: str) -> None:
    answer = world.post("/registration/start", {"phone": phone})
    assert (answer.status_code, problem_type(answer)) == (422, "invalid_phone_number")
    assert phone not in answer.text


def test_the_code_goes_by_sms_and_the_welcome_through_the_outbox(world: AppWorld) -> None:
    world.post("/registration/start", {"phone": OTHER_PHONE})
    [message] = world.sms.messages_to(OTHER_PHONE)
    assert message.text.startswith("Your Mkopo code is ")
    tokens = world.register(OTHER_ID, OTHER_PHONE)
    with world.fund.sessions.reader() as session:
        queued = session.scalars(
            select(SmsMessage.text).where(SmsMessage.borrower_id == tokens["borrower_id"])
        ).all()
    assert [text.split(".")[0] for text in queued] == ["Welcome to Mkopo"]
