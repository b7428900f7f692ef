"""The exceptions queue and reversals over HTTP: roles, four eyes, clear 4xx answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.mpesa.reversals import sweep_reversals
from app.staff.models import Role
from tests.integration.test_mpesa_processing import c2b, deliver
from tests.support.api import app_for, bearer, staff_token
from tests.support.lending import Fund

RECEIPT = "TC2B0000A1"


@pytest.fixture
def client(fund: Fund, tmp_path: Path) -> Iterator[TestClient]:
    deliver(fund, "c2b/confirmation", c2b("NOBODY", "300", RECEIPT))
    fund.provider.reversible[RECEIPT] = 300_00
    with TestClient(app_for(fund.sessions.database, fund.clock, tmp_path / "seal.pem")) as c:
        yield c


def tokens(fund: Fund) -> dict[str, dict[str, str]]:
    return {
        name: bearer(staff_token(fund.sessions, fund.clock, name, role))
        for name, role in [
            ("officer", Role.CREDIT_OFFICER),
            ("admin1", Role.ADMIN),
            ("admin2", Role.ADMIN),
            ("auditor", Role.AUDITOR),
        ]
    }


def test_an_officer_asks_another_admin_approves_and_the_worker_sends_it(
    client: TestClient, fund: Fund
) -> None:
    who = tokens(fund)
    queue = client.get("/admin/v1/suspense", headers=who["officer"])
    assert [(r["receipt"], r["amount_minor"], r["status"]) for r in queue.json()] == [
        (RECEIPT, 300_00, "open")
    ]
    asked = client.post(
        "/admin/v1/reversals",
        json={"receipt": RECEIPT, "reason": "Paid the wrong paybill"},
        headers=who["officer"],
    )
    assert asked.status_code == 201, asked.text
    reversal_id = asked.json()["id"]
    refused = client.post(f"/admin/v1/reversals/{reversal_id}/approve", headers=who["officer"])
    assert refused.status_code == 403  # officers may ask, only admins approve
    approved = client.post(f"/admin/v1/reversals/{reversal_id}/approve", headers=who["admin1"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == "admin1"
    sweep_reversals(fund.sessions, fund.ports, fund.clock)
    fund.clock.advance(minutes=3)
    sweep_reversals(fund.sessions, fund.ports, fund.clock)
    done = client.get(f"/admin/v1/reversals/{reversal_id}", headers=who["admin2"]).json()
    assert done["status"] == "succeeded"
    assert done["reversal_receipt"]
    assert client.get("/admin/v1/suspense", headers=who["admin2"]).json() == []
    fund.assert_books_agree()


def test_four_eyes_roles_and_bad_input_are_clear_4xx(client: TestClient, fund: Fund) -> None:
    who = tokens(fund)
    body = {"receipt": RECEIPT, "reason": "Paid the wrong paybill"}
    assert client.post("/admin/v1/reversals", json=body).status_code == 401
    assert client.post("/admin/v1/reversals", json=body, headers=who["auditor"]).status_code == 403
    reversal_id = client.post("/admin/v1/reversals", json=body, headers=who["admin1"]).json()["id"]
    own = client.post(f"/admin/v1/reversals/{reversal_id}/approve", headers=who["admin1"])
    assert (own.status_code, own.json()["type"]) == (403, "urn:mkopo:problem:four_eyes")
    again = client.post("/admin/v1/reversals", json=body, headers=who["admin2"])
    assert again.status_code == 409
    unknown = {"receipt": "TNOSUCH001", "reason": "Paid the wrong paybill"}
    assert (
        client.post("/admin/v1/reversals", json=unknown, headers=who["admin1"]).status_code == 404
    )
    for bad in [{"receipt": RECEIPT}, {"receipt": "X Y", "reason": "ok ok"}, {**body, "x": 1}]:
        answer = client.post("/admin/v1/reversals", json=bad, headers=who["admin1"])
        assert answer.status_code == 422, bad
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert client.get("/admin/v1/reversals/999", headers=who["admin1"]).status_code == 404
    rejected = client.post(f"/admin/v1/reversals/{reversal_id}/reject", headers=who["admin2"])
    assert rejected.json()["status"] == "rejected"
    late = client.post(f"/admin/v1/reversals/{reversal_id}/approve", headers=who["admin2"])
    assert late.status_code == 409
    fund.assert_books_agree()
