"""The group routes over HTTP: the app's (a borrower's own groups, invitations, applications
and requests) and the staff's read routes; bad input is a 4xx problem, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.staff.models import Role as StaffRole
from tests.support.api import bearer, fund_app, staff_token
from tests.support.groups import FormedGroup, app_headers, apply_for, form_group, phone_of
from tests.support.lending import KES, Fund


@pytest.fixture
def client(fund: Fund, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(fund_app(fund, tmp_path)) as test_client:
        yield test_client


@pytest.fixture
def group(fund: Fund) -> FormedGroup:
    return form_group(fund)


def problem(answer: object, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    assert answer.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    if code:  # empty: a validation problem, whichever field
        assert body["type"] == f"urn:mkopo:problem:{code}", body


def new_group(number: str, secretary: str = phone_of(1)) -> dict[str, object]:
    return {
        "name": "Umoja",
        "registration_number": number,
        "role": "chair",
        "officials": {"secretary": secretary, "treasurer": phone_of(2)},
    }


def test_creating_a_group_refuses_bad_numbers_and_bodies(
    client: TestClient, fund: Fund, group: FormedGroup
) -> None:
    headers = app_headers(fund, group.ordinary[0])
    problem(
        client.post("/api/v1/groups", headers=headers, json=new_group("MSEA/12")),
        422,
        "invalid_registration_number",
    )
    problem(
        client.post("/api/v1/groups", headers=headers, json=new_group("MSEA/91111")),
        422,
        "registration_not_found",
    )
    problem(
        client.post("/api/v1/groups", headers=headers, json=new_group("SS/22200")),
        422,
        "registration_deregistered",
    )
    problem(
        client.post("/api/v1/groups", headers=headers, json=new_group("MSEA/1234567")),
        409,
        "registration_taken",
    )
    problem(
        client.post("/api/v1/groups", headers=headers, json={**new_group("SS/12345"), "extra": 1}),
        422,
        "",
    )
    problem(
        client.post("/api/v1/groups", headers=headers, json=new_group("SS/12345", "07")), 422, ""
    )
    answer = client.post("/api/v1/groups", json=new_group("SS/12345"))
    assert answer.status_code == 401


def test_a_borrower_sees_only_their_groups(
    client: TestClient, fund: Fund, group: FormedGroup
) -> None:
    member = app_headers(fund, group.ordinary[0])
    mine = client.get("/api/v1/groups", headers=member).json()
    assert [(g["id"], g["my_role"]) for g in mine] == [(group.group_id, "member")]
    detail = client.get(f"/api/v1/groups/{group.group_id}", headers=member).json()
    assert detail["latest_score"] is None
    assert len(detail["members"]) == 10
    stranger = app_headers(fund, fund.register())
    problem(client.get(f"/api/v1/groups/{group.group_id}", headers=stranger), 404, "not_found")
    problem(client.get("/api/v1/groups/0", headers=stranger), 422, "")


def test_invitations_are_answered_by_their_invitee_only(
    client: TestClient, fund: Fund, group: FormedGroup
) -> None:
    chair = app_headers(fund, group.chair)
    invitee = fund.register()
    invited = client.post(
        f"/api/v1/groups/{group.group_id}/invitations", headers=chair, json={"phone": "0712345678"}
    )
    assert invited.status_code == 201, invited.text
    membership = invited.json()["id"]
    problem(
        client.post(
            f"/api/v1/groups/{group.group_id}/invitations",
            headers=app_headers(fund, group.ordinary[0]),
            json={"phone": phone_of(30)},
        ),
        403,
        "not_an_official",
    )
    problem(
        client.post(f"/api/v1/group-invitations/{membership}/accept", headers=chair),
        404,
        "invitation_not_found",
    )
    mine = app_headers(fund, invitee)
    assert [
        i["group_id"] for i in client.get("/api/v1/group-invitations", headers=mine).json()
    ] == [group.group_id]
    declined = client.post(f"/api/v1/group-invitations/{membership}/decline", headers=mine)
    assert declined.json()["status"] == "declined"
    problem(
        client.post(f"/api/v1/group-invitations/{membership}/accept", headers=mine),
        404,
        "invitation_not_found",
    )


def test_applying_and_deciding_over_http(
    client: TestClient, fund: Fund, group: FormedGroup
) -> None:
    chair = app_headers(fund, group.chair)
    url = f"/api/v1/groups/{group.group_id}/applications"
    shares = [{"borrower_id": b, "amount_minor": 3_000 * KES} for b in group.members]
    body = {"amount_minor": 30_000 * KES, "schedule": "lump_sum", "shares": shares}
    problem(
        client.post(url, headers=app_headers(fund, group.ordinary[0]), json=body),
        403,
        "not_an_official",
    )
    problem(
        client.post(url, headers=chair, json={**body, "shares": [*shares, shares[0]]}),
        422,
        "invalid_split",
    )
    problem(
        client.post(url, headers=chair, json={**body, "amount_minor": 90_000 * KES}),
        422,
        "over_group_limit",
    )
    problem(client.post(url, headers=chair, json={**body, "schedule": "weekly"}), 422, "")
    problem(
        client.post(
            url, headers=chair, json={**body, "shares": [{"borrower_id": 1, "amount_minor": -1}]}
        ),
        422,
        "",
    )
    created = client.post(url, headers=chair, json=body)
    assert created.status_code == 201, created.text
    applied = created.json()
    assert len(applied["instalments"]) == 6
    assert [i["principal_minor"] for i in applied["instalments"]][:5] == [0] * 5
    assert applied["gates"][0]["approvals_needed"] == 5
    problem(client.post(url, headers=chair, json=body), 409, "open_application_blocks")
    request_id = applied["gates"][0]["request_id"]
    approver = app_headers(fund, applied["approvers"][0])
    waiting = client.get("/api/v1/group-requests", headers=approver).json()
    assert [(r["request_id"], r["amount_minor"]) for r in waiting] == [(request_id, 30_000 * KES)]
    outsider = next(b for b in group.ordinary if b not in applied["approvers"])
    problem(
        client.post(
            f"/api/v1/group-requests/{request_id}/approve", headers=app_headers(fund, outsider)
        ),
        403,
        "not_eligible_to_decide",
    )
    problem(
        client.post(f"/api/v1/group-requests/{request_id}/approve", headers=chair), 403, "four_eyes"
    )
    answer = client.post(f"/api/v1/group-requests/{request_id}/approve", headers=approver)
    assert answer.json() == {"request_id": request_id, "status": "pending", "applied": False}
    problem(
        client.post(f"/api/v1/group-requests/{request_id}/approve", headers=approver),
        409,
        "already_decided",
    )
    problem(
        client.post("/api/v1/group-requests/999/approve", headers=approver),
        404,
        "approval_not_found",
    )
    problem(
        client.post(
            f"/api/v1/group-requests/{request_id}/reject", headers=approver, json={"note": "\x00"}
        ),
        400,
        "invalid_text",
    )
    rejecter = app_headers(fund, applied["approvers"][1])
    rejected = client.post(
        f"/api/v1/group-requests/{request_id}/reject", headers=rejecter, json={"note": "too much"}
    )
    assert rejected.json()["status"] == "rejected"
    read = client.get(f"/api/v1/group-applications/{applied['id']}", headers=chair).json()
    assert read["status"] == "rejected"
    fund.clock.advance(seconds=60)
    problem(
        client.post(f"/api/v1/groups/{group.group_id}/leave", headers=chair),
        409,
        "official_cannot_leave",
    )
    left = client.post(
        f"/api/v1/groups/{group.group_id}/leave", headers=app_headers(fund, group.ordinary[0])
    )
    assert left.json()["status"] == "left"


def test_a_decision_after_the_deadline_lapses_the_application_and_is_a_409(
    client: TestClient, fund: Fund, group: FormedGroup
) -> None:
    applied = apply_for(fund, group)
    fund.clock.advance(seconds=72 * 3600)
    approver = app_headers(fund, applied.approvers[0])
    answer = client.post(
        f"/api/v1/group-requests/{applied.approval_request_id}/approve", headers=approver
    )
    problem(answer, 409, "approval_expired")
    read = client.get(f"/api/v1/group-applications/{applied.id}", headers=approver).json()
    assert read["status"] == "lapsed"


def test_official_changes_over_http(client: TestClient, fund: Fund, group: FormedGroup) -> None:
    chair = app_headers(fund, group.chair)
    url = f"/api/v1/groups/{group.group_id}/official-changes"
    problem(client.post(url, headers=chair, json={"role": "member", "borrower_id": 1}), 422, "")
    asked = client.post(
        url, headers=chair, json={"role": "secretary", "borrower_id": group.ordinary[0]}
    )
    assert asked.status_code == 201, asked.text
    problem(
        client.post(
            url, headers=chair, json={"role": "secretary", "borrower_id": group.ordinary[1]}
        ),
        409,
        "pending_request_exists",
    )
    request_id = asked.json()["request_id"]
    carried = client.post(
        f"/api/v1/group-requests/{request_id}/approve", headers=app_headers(fund, group.treasurer)
    )
    assert carried.json()["applied"] is True


def test_staff_read_the_group_book(client: TestClient, fund: Fund, group: FormedGroup) -> None:
    applied = apply_for(fund, group)
    auditor = bearer(staff_token(fund.sessions, fund.clock, "ruth", StaffRole.AUDITOR))
    book = client.get("/admin/v1/groups", headers=auditor).json()
    assert [(g["id"], g["limit_minor"]) for g in book] == [(group.group_id, 75_000 * KES)]
    detail = client.get(f"/admin/v1/groups/{group.group_id}", headers=auditor).json()
    assert len(detail["members"]) == 10
    scores = client.get(f"/admin/v1/groups/{group.group_id}/scores", headers=auditor).json()
    assert scores[0]["trigger"] == "application"
    listed = client.get(f"/admin/v1/groups/{group.group_id}/applications", headers=auditor).json()
    assert [a["id"] for a in listed] == [applied.id]
    one = client.get(f"/admin/v1/group-applications/{applied.id}", headers=auditor).json()
    assert one["drawn"] == applied.drawn
    assert one["draw_seed"] == applied.draw_seed
    problem(
        client.get("/admin/v1/group-applications/999", headers=auditor),
        404,
        "group_application_not_found",
    )
    problem(client.get("/admin/v1/groups/999", headers=auditor), 404, "group_not_found")
    admin = bearer(staff_token(fund.sessions, fund.clock, "amina", StaffRole.ADMIN))
    staff_decides = client.post(
        f"/admin/v1/approvals/{applied.approval_request_id}/approve", headers=admin
    )
    problem(staff_decides, 403, "not_eligible_to_decide")
    support = bearer(staff_token(fund.sessions, fund.clock, "sam", StaffRole.SUPPORT))
    assert client.get("/admin/v1/groups", headers=support).status_code == 403
    assert client.get("/admin/v1/groups", headers=app_headers(fund, group.chair)).status_code == 401
