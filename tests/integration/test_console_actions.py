"""The console's actions on a fund: approving and rejecting in the inbox (the maker never
decides; every refusal is a message on the page, never a 500) and freezing a borrower."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.console.proposal_routes import InvalidAmount, kes_to_minor
from app.staff.models import Role
from tests.support.api import bearer
from tests.support.console_desk import Desk, console_user, request_number, signed_in
from tests.support.lending import KES, Fund


def test_the_inbox_decides_through_the_engine_and_shows_refusals(
    desk: Desk, fund: Fund, tmp_path: Path
) -> None:
    client, borrower_id, admin = desk.client, desk.borrower_id, desk.admin
    other = console_user(fund, tmp_path, "bea", Role.ADMIN)

    def ask(limit: int) -> int:
        answer = client.post(
            f"/admin/v1/borrowers/{borrower_id}/limit-overrides",
            headers=bearer(admin.token),
            json={"reason": "steady salary", "limit_minor": limit},
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    first = ask(1_000 * KES)
    csrf = signed_in(client, admin, fund)
    own = client.post(f"/console/approvals/{first}/approve", data={"csrf_token": csrf})
    assert own.status_code == 403  # SameChecker, as the admin API answers it
    assert "Another staff member must approve this request" in own.text

    csrf = signed_in(client, other, fund)
    short = client.post(
        f"/console/approvals/{first}/reject", data={"csrf_token": csrf, "note": "no"}
    )
    assert short.status_code == 422
    assert "Check the form" in short.text
    rejected = client.post(
        f"/console/approvals/{first}/reject",
        data={"csrf_token": csrf, "note": "no salary slip"},
    )
    assert rejected.status_code == 200
    assert f"Request {first} rejected" in rejected.text

    second = ask(1_500 * KES)
    approved = client.post(f"/console/approvals/{second}/approve", data={"csrf_token": csrf})
    assert f"Request {second} approved: approved" in approved.text
    assert fund.borrower(borrower_id).credit_limit_minor == 1_500 * KES
    gone = client.post(f"/console/approvals/{second}/approve", data={"csrf_token": csrf})
    assert gone.status_code == 409


def test_an_officer_freezes_and_only_an_admin_unfreezes(desk: Desk, fund: Fund) -> None:
    client, borrower_id = desk.client, desk.borrower_id
    officer, admin = desk.officer, desk.admin
    csrf = signed_in(client, officer, fund)
    frozen = client.post(
        f"/console/borrowers/{borrower_id}/freeze",
        data={"csrf_token": csrf, "reason": "fraud report"},
    )
    assert "Borrower frozen" in frozen.text
    assert fund.borrower(borrower_id).frozen_reason == "staff: fraud report"
    again = client.post(
        f"/console/borrowers/{borrower_id}/freeze",
        data={"csrf_token": csrf, "reason": "fraud report"},
    )
    assert again.status_code == 409
    assert "already frozen" in again.text
    refused = client.post(
        f"/console/borrowers/{borrower_id}/unfreeze",
        data={"csrf_token": csrf, "reason": "cleared"},
    )
    assert refused.status_code == 403
    csrf = signed_in(client, admin, fund)
    lifted = client.post(
        f"/console/borrowers/{borrower_id}/unfreeze",
        data={"csrf_token": csrf, "reason": "cleared"},
    )
    assert "Borrower unfrozen" in lifted.text
    assert fund.borrower(borrower_id).frozen_at is None
    assert client.get("/console/borrowers/999").status_code == 404


def test_an_officer_asks_in_the_console_and_an_admin_decides_there(desk: Desk, fund: Fund) -> None:
    client, borrower_id = desk.client, desk.borrower_id
    officer, admin = desk.officer, desk.admin
    csrf = signed_in(client, officer, fund)
    page = f"/console/borrowers/{borrower_id}/limit-override"
    bad = client.post(page, data={"csrf_token": csrf, "limit_kes": "lots", "reason": "salary"})
    assert bad.status_code == 422
    assert "Give the amount in KES" in bad.text
    asked = client.post(
        page, data={"csrf_token": csrf, "limit_kes": "3,250", "reason": "salary slip seen"}
    )
    assert asked.status_code == 200
    number = request_number(asked.text)
    again = client.post(
        page, data={"csrf_token": csrf, "limit_kes": "3000", "reason": "salary slip seen"}
    )
    assert again.status_code == 409  # one pending request per borrower
    csrf = signed_in(client, admin, fund)
    approved = client.post(f"/console/approvals/{number}/approve", data={"csrf_token": csrf})
    assert "approved: approved" in approved.text
    assert fund.borrower(borrower_id).credit_limit_minor == 325_000


@pytest.mark.parametrize(
    ("text", "minor"), [("2500", 250_000), ("2,500.5", 250_050), (" 0.07 ", 7), ("12.345", None)]
)
def test_a_limit_in_shillings_becomes_cents(text: str, minor: int | None) -> None:
    if minor is None:
        with pytest.raises(InvalidAmount):
            kes_to_minor(text)
    else:
        assert kes_to_minor(text) == minor
