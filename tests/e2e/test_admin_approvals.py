"""Products and manual journals through the maker-checker queue over HTTP: asking, listing,
approving, rejecting, withdrawing, replaying with an Idempotency-Key, and clear 4xx answers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.test_admin_roles import Headers, client, is_problem, staff
from tests.support.lending import CAPITAL_MINOR, KES, Fund

__all__ = ["client", "staff"]
CHANGES = "/admin/v1/products/personal/changes"


def longer_term(reason: str = "Harvest season: give farmers 21 days") -> dict[str, Any]:
    return {"changes": {"term_days": 21, "penalty_from_day": 22}, "reason": reason}


def test_a_product_change_is_asked_listed_approved_and_applies_to_new_loans(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    before = client.get("/admin/v1/products/personal", headers=staff["kamau"]).json()
    assert (before["term_days"], before["version"]) == (14, 1)
    key = {"Idempotency-Key": "change-personal-1"}
    asked = client.post(CHANGES, json=longer_term(), headers=staff["otieno"] | key)
    assert asked.status_code == 201, asked.text
    replayed = client.post(CHANGES, json=longer_term(), headers=staff["otieno"] | key)
    assert (replayed.status_code, replayed.json()["id"]) == (200, asked.json()["id"])
    reused = client.post(CHANGES, json=longer_term("Other reason"), headers=staff["otieno"] | key)
    assert is_problem(reused, 409, "idempotency_conflict")
    queue = client.get(
        "/admin/v1/approvals",
        params={"status": "pending", "kind": "product_change"},
        headers=staff["wanjiku"],
    ).json()
    [pending] = queue["items"]
    assert pending["payload"] == {
        "product_code": "personal",
        "changes": {"term_days": 21, "penalty_from_day": 22},
        "base_version": 1,
    }
    approved = client.post(f"/admin/v1/approvals/{pending['id']}/approve", headers=staff["amina"])
    assert approved.status_code == 200, approved.text
    after = client.get("/admin/v1/products/personal", headers=staff["kamau"]).json()
    assert (after["term_days"], after["penalty_from_day"], after["version"]) == (21, 22, 2)
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    assert fund.loan_of(borrower_id).product_terms["term_days"] == 21


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"changes": {"colour": "red"}, "reason": "Brand refresh"}, 422, "invalid_request"),
        ({"changes": {"term_days": "21"}, "reason": "Strings are not days"}, 422, None),
        ({"changes": {"term_days": 0}, "reason": "Zero days"}, 422, "invalid_request"),
        ({"changes": {"allocation_order": ["principal"] * 3}, "reason": "Bad order"}, 422, None),
        ({"changes": {}, "reason": "Nothing at all"}, 422, "nothing_to_change"),
        ({"changes": {"term_days": 14}, "reason": "Same as now"}, 422, "nothing_to_change"),
        ({"changes": {"default_day": 10}, "reason": "Default early"}, 422, None),
        ({"changes": {"term_days": 21}}, 422, "invalid_request"),
        ({"changes": {"eligible_bands": ["Z9"]}, "reason": "Unknown band"}, 422, None),
    ],
)
def test_a_bad_product_change_is_a_clear_4xx_and_nothing_is_queued(
    client: TestClient,
    staff: Headers,
    body: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    answer = client.post(CHANGES, json=body, headers=staff["otieno"])
    assert is_problem(answer, status, code), answer.text
    assert client.get("/admin/v1/approvals", headers=staff["amina"]).json()["items"] == []


def test_a_change_of_an_unknown_product_is_a_404(client: TestClient, staff: Headers) -> None:
    answer = client.post(
        "/admin/v1/products/nosuch/changes", json=longer_term(), headers=staff["otieno"]
    )
    assert is_problem(answer, 404, "product_not_found")


def test_only_admins_ask_for_journals_and_another_admin_posts_them(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    body = {
        "description": "Second capital tranche, board minute 12",
        "reference": "BM-12",
        "reason": "Board approved the tranche",
        "lines": [
            {"account_code": "1010", "side": "D", "amount_minor": 250_000 * KES},
            {"account_code": "3000", "side": "C", "amount_minor": 250_000 * KES},
        ],
    }
    assert is_problem(client.post("/admin/v1/journals", json=body, headers=staff["otieno"]), 403)
    asked = client.post("/admin/v1/journals", json=body, headers=staff["amina"])
    assert asked.status_code == 201, asked.text
    approved = client.post(
        f"/admin/v1/approvals/{asked.json()['id']}/approve", headers=staff["baraka"]
    )
    assert approved.status_code == 200, approved.text
    entry_id = approved.json()["result"]["entry_id"]
    entry = client.get(f"/audit/v1/ledger/entries/{entry_id}", headers=staff["wanjiku"])
    assert entry.status_code == 200, entry.text
    assert entry.json()["reference"] == "journal:BM-12"
    assert approved.json()["result"]["balances_minor"]["1010"] == CAPITAL_MINOR + 250_000 * KES
    fund.assert_books_agree()


def journal(amount_minor: int, debit: str = "3000", credit: str = "1010") -> dict[str, Any]:
    return {
        "description": "Capital returned to the sponsor",
        "reference": "RET-1",
        "reason": "Sponsor withdrawal",
        "lines": [
            {"account_code": debit, "side": "D", "amount_minor": amount_minor},
            {"account_code": credit, "side": "C", "amount_minor": amount_minor},
        ],
    }


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (journal(CAPITAL_MINOR + 1), 409, "insufficient_funds"),
        (journal(100, debit="2110"), 422, "invalid_journal"),
        ({**journal(100), "lines": journal(100)["lines"][:1]}, 422, "invalid_request"),
        ({**journal(100), "reference": "has space"}, 422, "invalid_request"),
        (
            {**journal(100), "lines": [{**journal(100)["lines"][0], "amount_minor": 0}] * 2},
            422,
            None,
        ),
        ({**journal(100), "extra": 1}, 422, "invalid_request"),
    ],
)
def test_a_bad_journal_is_refused_when_asked(
    client: TestClient,
    fund: Fund,
    staff: Headers,
    body: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    answer = client.post("/admin/v1/journals", json=body, headers=staff["amina"])
    assert is_problem(answer, status, code), answer.text
    assert client.get("/admin/v1/approvals", headers=staff["amina"]).json()["items"] == []
    fund.assert_books_agree()


def test_rejection_needs_another_admin_and_a_reason_withdrawal_the_maker(
    client: TestClient, staff: Headers
) -> None:
    first = client.post(CHANGES, json=longer_term(), headers=staff["amina"]).json()["id"]
    reject = f"/admin/v1/approvals/{first}/reject"
    assert is_problem(client.post(reject, json={}, headers=staff["baraka"]), 422)
    own = client.post(reject, json={"reason": "Not now"}, headers=staff["amina"])
    assert is_problem(own, 403, "four_eyes")
    rejected = client.post(reject, json={"reason": "Not this season"}, headers=staff["baraka"])
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["decision_note"]) == (
        "rejected",
        "Not this season",
    )
    second = client.post(CHANGES, json=longer_term(), headers=staff["otieno"]).json()["id"]
    withdraw = f"/admin/v1/approvals/{second}/withdraw"
    assert is_problem(client.post(withdraw, headers=staff["amina"]), 403, "not_the_maker")
    withdrawn = client.post(withdraw, headers=staff["otieno"])
    assert withdrawn.json()["status"] == "withdrawn"
    late = client.post(f"/admin/v1/approvals/{second}/approve", headers=staff["amina"])
    assert is_problem(late, 409, "approval_not_pending")
    product = client.get("/admin/v1/products/personal", headers=staff["kamau"]).json()
    assert (product["term_days"], product["version"]) == (14, 1)
    decided = client.get(
        "/admin/v1/approvals", params={"maker": "otieno"}, headers=staff["wanjiku"]
    ).json()["items"]
    assert [a["status"] for a in decided] == ["withdrawn"]
    assert is_problem(client.get("/admin/v1/approvals/999", headers=staff["amina"]), 404)
    bad = client.get("/admin/v1/approvals", params={"status": "lost"}, headers=staff["amina"])
    assert is_problem(bad, 422)
