"""Float transfers over HTTP: an admin asks, another approves through the approvals queue;
bad bodies are a 422 problem, an uncovered amount a 409, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.test_admin_roles import Headers, client, is_problem, staff
from tests.support.lending import CAPITAL_MINOR, KES, Fund

__all__ = ["client", "staff"]
TRANSFERS = "/admin/v1/floats/transfers"


def body(amount_minor: Any = 500_000 * KES, **changes: Any) -> dict[str, Any]:
    return {
        "from_network": "safaricom",
        "to_network": "airtel",
        "amount_minor": amount_minor,
        "external_reference": "EQ-2026-1207-01",
        "reason": "Airtel float runs low before payday",
        **changes,
    }


def test_an_admin_asks_another_approves_and_the_airtel_float_has_500k(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    assert is_problem(client.post(TRANSFERS, json=body(), headers=staff["otieno"]), 403)
    asked = client.post(TRANSFERS, json=body(), headers=staff["amina"])
    assert asked.status_code == 201, asked.text
    approval = f"/admin/v1/approvals/{asked.json()['id']}/approve"
    assert is_problem(client.post(approval, headers=staff["amina"]), 403, "four_eyes")
    approved = client.post(approval, headers=staff["baraka"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["result"]["balances_minor"] == {
        "1010": CAPITAL_MINOR - 500_000 * KES,
        "1011": 500_000 * KES,
    }
    assert is_problem(client.post(approval, headers=staff["baraka"]), 409, "approval_not_pending")
    fund.assert_books_agree()


@pytest.mark.parametrize(
    ("sent", "status", "code"),
    [
        (body(to_network="safaricom"), 422, "invalid_request"),
        (body(0), 422, "invalid_request"),
        (body(-1), 422, "invalid_request"),
        (body("100"), 422, "invalid_request"),
        (body(1.5), 422, "invalid_request"),
        (body(from_network="telkom"), 422, "invalid_request"),
        (body(external_reference=""), 422, "invalid_request"),
        ({k: v for k, v in body().items() if k != "reason"}, 422, "invalid_request"),
        ({**body(), "extra": 1}, 422, "invalid_request"),
        (body(CAPITAL_MINOR + 1), 409, "insufficient_float"),
        (body(1, from_network="airtel", to_network="safaricom"), 409, "insufficient_float"),
    ],
)
def test_a_bad_float_transfer_is_a_clear_4xx_and_nothing_is_queued(
    client: TestClient,
    fund: Fund,
    staff: Headers,
    sent: dict[str, Any],
    status: int,
    code: str,
) -> None:
    answer = client.post(TRANSFERS, json=sent, headers=staff["amina"])
    assert is_problem(answer, status, code), answer.text
    assert client.get("/admin/v1/approvals", headers=staff["amina"]).json()["items"] == []
    fund.assert_books_agree()


def test_a_float_drained_since_asking_answers_409_and_the_request_is_failed(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    half = CAPITAL_MINOR // 2 + 1
    first = client.post(TRANSFERS, json=body(half), headers=staff["amina"]).json()["id"]
    second = client.post(
        TRANSFERS, json=body(half, external_reference="EQ-2026-1207-02"), headers=staff["amina"]
    ).json()["id"]
    approve = "/admin/v1/approvals/{}/approve"
    assert client.post(approve.format(first), headers=staff["baraka"]).status_code == 200
    refused = client.post(approve.format(second), headers=staff["baraka"])
    assert is_problem(refused, 409, "approval_failed"), refused.text
    assert "insufficient_float" in refused.json()["detail"]
    failed = client.get(f"/admin/v1/approvals/{second}", headers=staff["amina"]).json()
    assert failed["status"] == "failed"
    fund.assert_books_agree()
