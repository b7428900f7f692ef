"""A borrower reaches only their own records: every route that takes an id answers another
borrower's id exactly as it answers an id that does not exist (404), and lists hold only
the borrower's own rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_app_api_support import (
    API,
    KES,
    OTHER_ID,
    OTHER_PHONE,
    AppWorld,
    bearer,
    key,
    open_app,
)
from tests.support.groups import app_headers, apply_for, form_group
from tests.support.lending import Fund

NO_SUCH_ID = 987_654


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        yield w


def owners_records(world: AppWorld, auth: dict[str, str]) -> dict[str, int]:
    """Borrow, repay by STK and withdraw savings: one record behind each id route."""
    payout = world.post("/loans", {"amount_minor": 1_000 * KES}, headers=auth | key("k1")).json()
    world.run_payouts()
    world.fund.clock.advance(minutes=1)
    prompt = world.post("/repayments", {"amount_minor": 1_000 * KES}, headers=auth | key("k1"))
    world.run_stk(prompt.json()["id"])
    withdrawal = world.post(
        "/savings/withdrawals", {"amount_minor": 10 * KES}, headers=auth | key("k1")
    )
    assert withdrawal.status_code == 201, withdrawal.text
    return {
        "/loans/{loan_id}": payout["loan_id"],
        "/repayments/{request_id}": prompt.json()["id"],
        "/savings/withdrawals/{withdrawal_id}": withdrawal.json()["id"],
    }


def test_another_borrowers_ids_are_not_found_on_every_route_that_takes_an_id(
    world: AppWorld,
) -> None:
    owner = bearer(world.register())
    other = bearer(world.register(OTHER_ID, OTHER_PHONE))
    records = owners_records(world, owner)
    group = form_group(world.fund)
    chair = app_headers(world.fund, group.chair)
    group_records = {
        "/groups/{group_id}": group.group_id,
        "/groups/{group_id}/applications": group.group_id,
        "/group-applications/{application_id}": apply_for(world.fund, group).id,
    }
    id_routes = {
        path.removeprefix(API)
        for path, operations in world.client.get("/openapi.json").json()["paths"].items()
        if path.startswith(API) and "{" in path and "get" in operations
    }
    # a new id route must be added to this test
    assert id_routes == set(records) | set(group_records)
    checks = [(t, i, owner) for t, i in records.items()]
    checks += [(t, i, chair) for t, i in group_records.items()]
    for template, record_id, mine_auth in checks:
        field = template[template.index("{") : template.index("}") + 1]
        mine = world.get(template.replace(field, str(record_id)), headers=mine_auth)
        assert mine.status_code == 200, template
        theirs = world.get(template.replace(field, str(record_id)), headers=other)
        missing = world.get(template.replace(field, str(NO_SUCH_ID)), headers=other)
        assert (theirs.status_code, missing.status_code) == (404, 404), template
        assert theirs.headers["content-type"] == "application/problem+json"
        assert theirs.json()["type"] == "urn:mkopo:problem:not_found"
        # The same answer as for an id that does not exist, word for word.
        assert theirs.json()["detail"].replace(str(record_id), "<id>") == missing.json()[
            "detail"
        ].replace(str(NO_SUCH_ID), "<id>")


def test_a_loan_payout_is_not_reachable_as_a_withdrawal(world: AppWorld) -> None:
    owner = bearer(world.register())
    payout = world.post("/loans", {"amount_minor": 500 * KES}, headers=owner | key("k1")).json()
    assert world.get(f"/savings/withdrawals/{payout['id']}", headers=owner).status_code == 404


def test_lists_and_balances_show_only_the_borrowers_own(world: AppWorld) -> None:
    owner = bearer(world.register())
    other = bearer(world.register(OTHER_ID, OTHER_PHONE))
    owners_records(world, owner)
    assert world.get("/loans", headers=other).json() == {"items": [], "next_offset": None}
    assert world.get("/statement", headers=other).json() == {"items": [], "next_offset": None}
    assert world.get("/loans/current", headers=other).status_code == 404
    savings = world.get("/savings", headers=other).json()
    assert (savings["short_term_minor"], savings["long_term_minor"]) == (0, 0)
    kinds = [i["kind"] for i in world.get("/statement", headers=owner).json()["items"]]
    assert kinds == ["repayment", "loan"]  # the withdrawal is still on its way
