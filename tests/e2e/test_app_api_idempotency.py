"""Writes that move money need an Idempotency-Key: without one nothing happens (400); with
one, a repeat answers the first request's resource again and hands no second task to the
worker; keys are per borrower and per operation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.lending.models import Loan
from app.mpesa.models import StkRequest
from app.payments.models import Payout
from tests.e2e.test_app_api_support import (
    KES,
    OTHER_ID,
    OTHER_PHONE,
    AppWorld,
    bearer,
    key,
    open_app,
)
from tests.support.lending import Fund

MONEY_ROUTES = [
    ("/loans", 500 * KES),
    ("/repayments", 100 * KES),
    ("/savings/withdrawals", 10 * KES),
]


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        yield w


def rows(world: AppWorld, model: Any) -> int:
    with world.fund.sessions.reader() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(("path", "amount_minor"), MONEY_ROUTES)
@pytest.mark.parametrize("header", [None, "", "has space", "x" * 65, "a;b"])
def test_a_money_move_without_a_usable_key_is_400_and_does_nothing(
    world: AppWorld, path: str, amount_minor: int, header: str | None
) -> None:
    auth = bearer(world.register())
    headers = auth if header is None else auth | {"Idempotency-Key": header}
    answer = world.post(path, {"amount_minor": amount_minor}, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    expected = "idempotency_key_required" if header is None else "idempotency_key_invalid"
    assert answer.json()["type"] == f"urn:mkopo:problem:{expected}"
    assert (rows(world, Payout), rows(world, StkRequest), world.tasks.sent) == (0, 0, [])


def test_a_repeated_borrow_answers_the_first_payout_and_sends_it_once(world: AppWorld) -> None:
    auth = bearer(world.register())
    first = world.post("/loans", {"amount_minor": 500 * KES}, headers=auth | key("b-1"))
    again = world.post("/loans", {"amount_minor": 500 * KES}, headers=auth | key("b-1"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert world.tasks_named("payments.submit_payout") == [first.json()["id"]]
    assert (rows(world, Payout), rows(world, Loan)) == (1, 1)
    world.run_payouts()
    late = world.post("/loans", {"amount_minor": 500 * KES}, headers=auth | key("b-1"))
    assert (late.json()["id"], late.json()["status"]) == (first.json()["id"], "succeeded")
    other_amount = world.post("/loans", {"amount_minor": 600 * KES}, headers=auth | key("b-1"))
    assert other_amount.status_code == 409
    assert other_amount.json()["type"] == "urn:mkopo:problem:idempotency_conflict"


def test_a_repeated_repayment_prompt_is_pushed_once(world: AppWorld) -> None:
    auth = bearer(world.register())
    world.post("/loans", {"amount_minor": 500 * KES}, headers=auth | key("b-1"))
    world.run_payouts()
    first = world.post("/repayments", {"amount_minor": 100 * KES}, headers=auth | key("r-1"))
    again = world.post("/repayments", {"amount_minor": 100 * KES}, headers=auth | key("r-1"))
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert world.tasks_named("mpesa.send_stk") == [first.json()["id"]]
    assert rows(world, StkRequest) == 1


def test_a_repeated_withdrawal_is_paid_once(world: AppWorld, fund: Fund) -> None:
    auth = bearer(world.register())
    world.post("/loans", {"amount_minor": 1_000 * KES}, headers=auth | key("b-1"))
    world.run_payouts()
    fund.repay(fund.loan_of(world.login()["borrower_id"]).id, 1_000 * KES, "TAPP000001")
    world.tasks.sent.clear()
    first = world.post("/savings/withdrawals", {"amount_minor": 10 * KES}, headers=auth | key("w"))
    again = world.post("/savings/withdrawals", {"amount_minor": 10 * KES}, headers=auth | key("w"))
    assert (first.status_code, again.json()) == (201, first.json())
    assert world.tasks_named("payments.submit_payout") == [first.json()["id"]]
    assert world.get("/savings", headers=auth).json()["short_term_minor"] == 5 * KES


def test_two_borrowers_and_two_operations_never_share_a_key(world: AppWorld) -> None:
    one = bearer(world.register())
    two = bearer(world.register(OTHER_ID, OTHER_PHONE))
    mine = world.post("/loans", {"amount_minor": 500 * KES}, headers=one | key("same"))
    theirs = world.post("/loans", {"amount_minor": 500 * KES}, headers=two | key("same"))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    world.run_payouts()
    prompt = world.post("/repayments", {"amount_minor": 100 * KES}, headers=one | key("same"))
    assert prompt.status_code == 201
    assert "idempotent-replayed" not in prompt.headers
