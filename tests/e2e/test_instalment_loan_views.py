"""An instalment loan as the app and the admin API show it: the settlement quote (what pays
it off today) beside the balances (KES 12,000 at 7% over 3 monthly instalments from
2 March 2026; on 17 March: 12,000 + 15 days' interest, 34.52)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.test_admin_roles import Headers, client, is_problem, staff
from tests.e2e.test_app_api_support import AppWorld, bearer, open_app
from tests.support.instalments import (
    RESTRUCTURED_OVER_4,
    add_group_product,
    lend_group,
    travel_to,
)
from tests.support.lending import KES, Fund

__all__ = ["client", "staff"]
SETTLEMENT_17_MARCH = {
    "as_of": "2026-03-17",
    "principal_minor": 12_000 * KES,
    "interest_due_minor": 0,
    "interest_accrued_minor": 34_52,
    "penalty_minor": 0,
    "total_minor": 12_034_52,
    "total_display": "KES 12,034.52",
}


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        yield w


def _admin_loan(fund: Fund, day: date) -> int:
    """The group product and a loan on it, the clock moved to ``day``."""
    add_group_product(fund, fund.clock())
    loan_id = lend_group(fund, fund.register())
    travel_to(fund, day)
    return loan_id


def _app_loan(world: AppWorld) -> tuple[dict[str, str], int]:
    add_group_product(world.fund, world.fund.clock())
    tokens = world.register()
    return bearer(tokens), lend_group(world.fund, tokens["borrower_id"])


def test_the_app_shows_what_settles_the_loan_today(world: AppWorld) -> None:
    _, loan_id = _app_loan(world)
    travel_to(world.fund, date(2026, 3, 17))
    auth = bearer(world.login())  # the first token expired meanwhile
    answer = world.get("/loans/current", headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["settlement"] == SETTLEMENT_17_MARCH
    assert world.get(f"/loans/{loan_id}", headers=auth).json()["settlement"] == (
        SETTLEMENT_17_MARCH
    )


def test_the_admin_loan_view_shows_the_settlement_quote(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    loan_id = _admin_loan(fund, date(2026, 3, 17))
    answer = client.get(f"/admin/v1/loans/{loan_id}", headers=staff["amina"])
    assert answer.status_code == 200, answer.text
    loan: dict[str, Any] = answer.json()
    assert loan["settlement"] == SETTLEMENT_17_MARCH
    assert (loan["restructured_at"], loan["restructure_count"]) == (None, 0)


def test_a_restructure_is_proposed_listed_and_approved_over_http(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    loan_id = _admin_loan(fund, date(2026, 4, 20))
    path = f"/admin/v1/loans/{loan_id}/restructures"
    body = {"instalments": 4, "reason": "Harvest failed; income resumes in May"}
    asked = client.post(path, json=body, headers=staff["otieno"])
    assert asked.status_code == 201, asked.text
    approval_id = asked.json()["id"]
    listed = client.get(
        "/admin/v1/approvals", params={"kind": "loan_restructure"}, headers=staff["amina"]
    )
    assert [a["id"] for a in listed.json()["items"]] == [approval_id]
    for bad in ({"reason": "No terms given"}, {"instalments": 0, "reason": "Zero"}):
        assert is_problem(client.post(path, json=bad, headers=staff["otieno"]), 422), bad
    too_far = {"first_due_on": "2027-01-01", "reason": "Far away"}
    assert is_problem(client.post(path, json=too_far, headers=staff["amina"]), 422)
    approved = client.post(f"/admin/v1/approvals/{approval_id}/approve", headers=staff["baraka"])
    assert approved.status_code == 200, approved.text
    assert [i["number"] for i in approved.json()["result"]["instalments"]] == [4, 5, 6, 7]
    loan = client.get(f"/admin/v1/loans/{loan_id}", headers=staff["amina"]).json()
    assert loan["restructure_count"] == 1
    assert loan["due_on"] == "2026-08-20"
    assert [(r["number"], r["status"]) for r in loan["instalments"]] == RESTRUCTURED_OVER_4


def test_the_app_lists_the_instalments_with_what_is_due_paid_and_left(world: AppWorld) -> None:
    _, loan_id = _app_loan(world)
    travel_to(world.fund, date(2026, 4, 2))
    world.fund.repay(loan_id, 4_047_14, "FIRST1")
    travel_to(world.fund, date(2026, 5, 5))  # instalment 2 three days late
    auth = bearer(world.login())
    schedule = world.get("/loans/current", headers=auth).json()["schedule"]
    assert [(i["number"], i["due_on"], i["status"]) for i in schedule] == [
        (1, "2026-04-02", "paid"),
        (2, "2026-05-02", "overdue"),
        (3, "2026-06-02", "upcoming"),
    ]
    first, second, third = schedule
    assert (first["total_minor"], first["paid_minor"], first["left_minor"]) == (
        4_047_14,
        4_047_14,
        0,
    )
    assert second["penalty_minor"] > 0
    assert second["left_minor"] == 4_047_14 + second["penalty_minor"]
    assert (third["total_minor"], third["paid_minor"]) == (4_047_15, 0)


def test_the_admin_loan_view_lists_every_instalment_row(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    add_group_product(fund, fund.clock())
    loan_id = lend_group(fund, fund.register())
    answer = client.get(f"/admin/v1/loans/{loan_id}", headers=staff["wanjiku"])
    assert answer.status_code == 200, answer.text
    rows = answer.json()["instalments"]
    assert [(r["number"], r["status"], r["total_minor"], r["left_minor"]) for r in rows] == [
        (1, "open", 4_047_14, 4_047_14),
        (2, "open", 4_047_14, 4_047_14),
        (3, "open", 4_047_15, 4_047_15),
    ]
    assert rows[0]["period_start"] == "2026-03-02"
