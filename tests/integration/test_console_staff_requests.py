"""Creating a staff user under four eyes from the console: one admin asks, the engine
refuses that admin's own approval, another admin approves and only then the user exists;
an officer can neither ask nor approve; a taken username or unknown role is refused."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.staff.models import Role, StaffUser
from tests.support.api import bearer
from tests.support.console_desk import (
    Desk,
    alert_of,
    console_user,
    request_number,
    signed_in,
)
from tests.support.lending import Fund


def _role_of(fund: Fund, username: str) -> str | None:
    with fund.sessions.reader() as session:
        return session.scalar(select(StaffUser.role).where(StaffUser.username == username))


def test_a_new_admin_needs_a_second_admin(desk: Desk, fund: Fund, tmp_path: Path) -> None:
    client = desk.client
    path = "/console/staff/requests"
    form = {"username": "njeri", "role": "admin", "reason": "new finance lead"}
    csrf = signed_in(client, desk.officer, fund)
    assert client.post(path, data=form | {"csrf_token": csrf}).status_code == 403

    csrf = signed_in(client, desk.admin, fund)
    taken = client.post(path, data=form | {"csrf_token": csrf, "username": "otto"})
    assert taken.status_code == 409
    assert "already a staff user" in taken.text
    unknown = client.post(path, data=form | {"csrf_token": csrf, "role": "owner"})
    assert unknown.status_code == 422
    assert "Check the form" in unknown.text
    asked = client.post(path, data=form | {"csrf_token": csrf})
    assert asked.status_code == 200, alert_of(asked.text)
    number = request_number(asked.text)
    assert _role_of(fund, "njeri") is None  # nothing until another admin approves
    assert client.post(path, data=form | {"csrf_token": csrf}).status_code == 409  # pending
    own = client.post(f"/console/approvals/{number}/approve", data={"csrf_token": csrf})
    assert own.status_code == 403

    csrf = signed_in(client, desk.officer, fund)
    approve = f"/console/approvals/{number}/approve"
    assert client.post(approve, data={"csrf_token": csrf}).status_code == 403
    second = console_user(fund, tmp_path, "bea", Role.ADMIN)
    csrf = signed_in(client, second, fund)
    approved = client.post(approve, data={"csrf_token": csrf})
    assert "approved: approved" in approved.text
    assert _role_of(fund, "njeri") == "admin"
    assert "njeri" in client.get("/console/staff").text


def test_the_same_request_through_the_admin_api(desk: Desk, fund: Fund) -> None:
    client, path = desk.client, "/admin/v1/staff/requests"
    body = {"username": "wafula", "role": "credit_officer", "reason": "new branch"}
    assert client.post(path, json=body, headers=bearer(desk.officer.token)).status_code == 403
    asked = client.post(path, json=body, headers=bearer(desk.admin.token))
    assert asked.status_code == 201, asked.text
    assert asked.json()["kind"] == "staff_creation"
    approve = f"/admin/v1/approvals/{asked.json()['id']}/approve"
    assert client.post(approve, headers=bearer(desk.admin.token)).status_code == 403
    assert _role_of(fund, "wafula") is None
