"""A field keys file without a PIN pepper key (made before peppers): every route that takes a
PIN answers 503 problem+json before counting or checking anything, USSD apologises on the
handset, and the routes without a PIN serve as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.mobile.tokens import start_session
from app.security.pepper_keys import PEPPER_KEYS_FIELD
from tests.e2e.test_admin_roles import is_problem
from tests.e2e.test_app_api_support import AppWorld, open_app
from tests.e2e.test_ussd_dialler import Dialler
from tests.support.lending import GOOD_PHONE, Fund

PIN = "4826"


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    """The app on the fund's keys file with its pepper keys taken out."""
    keys = tmp_path / "field-keys.json"
    document = json.loads(keys.read_text())
    del document[PEPPER_KEYS_FIELD]
    keys.write_text(json.dumps(document))
    with open_app(fund, tmp_path) as opened:
        yield opened


def test_signing_in_and_changing_a_pin_answer_503_not_500(world: AppWorld) -> None:
    borrower_id = world.fund.register(pin=PIN)  # hashed under the fund's own copy of the keys
    login = world.post("/auth/login", {"phone": GOOD_PHONE, "pin": PIN})
    assert is_problem(login, 503, "pin_pepper_missing")
    assert login.headers["content-type"] == "application/problem+json"
    assert PIN not in login.text
    with world.fund.sessions.unit_of_work() as session:
        issued = start_session(session, borrower_id, world.fund.clock())
    signed_in = {"Authorization": f"Bearer {issued.access_token}"}
    assert world.get("/me", headers=signed_in).status_code == 200  # no PIN: served
    changed = world.post("/me/pin", {"current_pin": PIN, "new_pin": "7391"}, headers=signed_in)
    assert is_problem(changed, 503, "pin_pepper_missing")
    assert world.fund.borrower(borrower_id).pin_failed_attempts == 0  # nothing was counted


def test_registering_answers_503_before_the_pin_is_hashed(world: AppWorld) -> None:
    body = {
        "verification_token": world.verify(),  # sending and checking the code need no PIN
        "national_id": "12345670",
        "accept_terms": True,
        "pin": PIN,
    }
    assert is_problem(world.post("/registration/complete", body), 503, "pin_pepper_missing")


def test_a_ussd_pin_screen_apologises_on_the_handset(world: AppWorld) -> None:
    world.fund.register(pin=PIN)
    phone = Dialler(world.client)
    assert phone.walk("5", "1") == "CON Enter your current PIN:\n0. Back"
    assert phone.send(PIN) == "END Sorry, Mkopo cannot do that right now. Please try again later."
