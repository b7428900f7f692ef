"""Staff find borrowers by phone or national ID (through the blind index), see them masked,
freeze and unfreeze them, and ask for limit overrides that another admin approves."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.lending import errors
from tests.e2e.test_admin_roles import Headers, client, is_problem, staff
from tests.support.lending import GOOD_ID, GOOD_PHONE, KES, Fund

__all__ = ["client", "staff"]  # fixtures shared with the other admin tests


def audit(client: TestClient, staff: Headers, **filters: str) -> list[dict[str, object]]:
    answer = client.get("/audit/v1/audit-log", params=filters, headers=staff["wanjiku"])
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


@pytest.mark.parametrize(
    "query",
    [
        {"phone": "0712345678"},
        {"phone": "+254 712 345 678"},
        {"national_id": GOOD_ID},
        {"national_id": "1234 5670"},
    ],
)
def test_a_borrower_is_found_by_phone_or_national_id_and_shown_masked(
    client: TestClient, fund: Fund, staff: Headers, query: dict[str, str]
) -> None:
    borrower_id = fund.register()
    answer = client.get("/admin/v1/borrowers", params=query, headers=staff["kamau"])
    assert answer.status_code == 200, answer.text
    [found] = answer.json()
    assert (found["id"], found["phone_masked"], found["national_id_masked"]) == (
        borrower_id,
        "2547******78",
        "******70",
    )
    assert found["full_name"] == "Atieno Awuor"
    assert found["status"] == "active"
    assert found["loan"] is None
    for secret in ("712345678", GOOD_ID):  # never a full phone number or ID
        assert secret not in answer.text
    [searched] = audit(client, staff, action="borrower.search")
    assert (searched["actor"], searched["role"], searched["subject_id"]) == (
        "kamau",
        "support",
        str(borrower_id),
    )
    assert searched["after"] == {"by": next(iter(query)), "found": True}
    log = client.get("/audit/v1/audit-log", headers=staff["wanjiku"]).text
    assert "712345678" not in log
    assert GOOD_ID not in log


def test_a_search_needs_exactly_one_well_formed_key(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    fund.register()
    who = staff["kamau"]
    nobody = client.get("/admin/v1/borrowers", params={"phone": "0799999911"}, headers=who)
    assert (nobody.status_code, nobody.json()) == (200, [])
    for bad in (
        {},
        {"phone": GOOD_PHONE, "national_id": GOOD_ID},
        {"phone": "+44 7700 900123"},
        {"national_id": "12-AB"},
        {"phone": "0" * 21},
    ):
        assert is_problem(client.get("/admin/v1/borrowers", params=bad, headers=who), 422), bad
    assert is_problem(client.get("/admin/v1/borrowers/999", headers=who), 404)


def test_a_borrower_view_shows_their_loan_and_is_audited(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    answer = client.get(f"/admin/v1/borrowers/{borrower_id}", headers=staff["otieno"])
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert (view["savings_long_minor"], view["savings_short_minor"]) == (17_50, 7_50)
    assert view["loan"]["status"] == "active"
    assert view["loan"]["principal_outstanding_minor"] == 500 * KES
    assert view["loan"]["product_code"] == "personal"
    [viewed] = audit(client, staff, action="borrower.view")
    assert (viewed["actor"], viewed["subject_type"]) == ("otieno", "borrower")


def test_an_officer_freezes_an_admin_unfreezes_and_both_are_audited(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    borrower_id = fund.register()
    path = f"/admin/v1/borrowers/{borrower_id}"
    body = {"reason": "suspected fraud"}
    assert is_problem(client.post(f"{path}/freeze", json=body, headers=staff["kamau"]), 403)
    frozen = client.post(f"{path}/freeze", json=body, headers=staff["otieno"])
    assert frozen.status_code == 200, frozen.text
    assert frozen.json()["frozen_reason"] == "staff: suspected fraud"
    assert frozen.json()["frozen_at"] is not None
    with pytest.raises(errors.BorrowerFrozen):
        fund.request(borrower_id, 500 * KES, "after-freeze")
    again = client.post(f"{path}/freeze", json=body, headers=staff["amina"])
    assert is_problem(again, 409, "already_frozen")
    lift = {"reason": "cleared by investigation"}
    assert is_problem(client.post(f"{path}/unfreeze", json=lift, headers=staff["otieno"]), 403)
    lifted = client.post(f"{path}/unfreeze", json=lift, headers=staff["amina"])
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["frozen_at"] is None
    assert is_problem(client.post(f"{path}/unfreeze", json=lift, headers=staff["amina"]), 409)
    fund.borrow(borrower_id, 500 * KES)  # may borrow again
    freeze_record, unfreeze_record = (
        audit(client, staff, action=a)[0] for a in ("borrower.freeze", "borrower.unfreeze")
    )
    assert freeze_record["before"] == {"frozen_at": None, "frozen_reason": None}
    assert freeze_record["after"]["reason"] == "suspected fraud"  # type: ignore[index]
    assert unfreeze_record["actor"] == "amina"
    assert unfreeze_record["before"]["frozen_reason"] == "staff: suspected fraud"  # type: ignore[index]


def test_a_default_freeze_is_not_lifted_by_hand(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    borrower_id = fund.register()
    fund.borrow(borrower_id, 500 * KES)
    fund.days_pass(30)
    answer = client.post(
        f"/admin/v1/borrowers/{borrower_id}/unfreeze",
        json={"reason": "customer asked"},
        headers=staff["amina"],
    )
    assert is_problem(answer, 409, "frozen_by_default")
    assert fund.borrower(borrower_id).frozen_reason == "default"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": "no"},
        {"reason": "x" * 57},
        {"reason": "line\nbreak"},
        {"reason": "ok reason", "frozen_at": None},
    ],
)
def test_a_bad_freeze_body_is_a_422_and_changes_nothing(
    client: TestClient, fund: Fund, staff: Headers, body: dict[str, object]
) -> None:
    borrower_id = fund.register()
    answer = client.post(
        f"/admin/v1/borrowers/{borrower_id}/freeze", json=body, headers=staff["otieno"]
    )
    assert is_problem(answer, 422, "invalid_request")
    assert fund.borrower(borrower_id).frozen_at is None


def test_a_limit_override_is_asked_by_an_officer_and_approved_by_an_admin(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    borrower_id = fund.register()
    body = {"limit_minor": 8_000 * KES, "reason": "Salary slip verified"}
    path = f"/admin/v1/borrowers/{borrower_id}/limit-overrides"
    asked = client.post(path, json=body, headers=staff["otieno"])
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["kind"], request["status"], request["maker"]) == (
        "limit_override",
        "pending",
        "otieno",
    )
    assert fund.borrower(borrower_id).credit_limit_minor != 8_000 * KES
    approve = f"/admin/v1/approvals/{request['id']}/approve"
    assert is_problem(client.post(approve, headers=staff["otieno"]), 403, "forbidden")
    approved = client.post(approve, headers=staff["amina"])
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["checker"]) == ("approved", "amina")
    assert fund.borrower(borrower_id).credit_limit_minor == 8_000 * KES
    [effect] = audit(client, staff, action="borrower.limit_override")
    assert effect["after"]["credit_limit_minor"] == 8_000 * KES  # type: ignore[index]


def test_a_limit_override_approved_after_a_freeze_is_a_409_and_stays_failed(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    borrower_id = fund.register()
    limit_before = fund.borrower(borrower_id).credit_limit_minor
    path = f"/admin/v1/borrowers/{borrower_id}"
    asked = client.post(
        f"{path}/limit-overrides",
        json={"limit_minor": 8_000 * KES, "reason": "Salary slip verified"},
        headers=staff["amina"],
    ).json()
    client.post(f"{path}/freeze", json={"reason": "fraud report"}, headers=staff["otieno"])
    answer = client.post(f"/admin/v1/approvals/{asked['id']}/approve", headers=staff["baraka"])
    assert is_problem(answer, 409, "approval_failed")
    assert "frozen" in answer.json()["detail"]
    stored = client.get(f"/admin/v1/approvals/{asked['id']}", headers=staff["wanjiku"]).json()
    assert (stored["status"], stored["checker"]) == ("failed", "baraka")
    assert fund.borrower(borrower_id).credit_limit_minor == limit_before
    [failed] = audit(client, staff, action="approval.fail")
    assert failed["actor"] == "baraka"


@pytest.mark.parametrize(
    "body",
    [
        {"limit_minor": 50 * KES, "reason": "Too low"},
        {"limit_minor": 60_000 * KES, "reason": "Too high"},
        {"limit_minor": 1_000_50, "reason": "Cents"},
    ],
)
def test_a_limit_outside_the_policy_is_refused_when_asked(
    client: TestClient, fund: Fund, staff: Headers, body: dict[str, object]
) -> None:
    borrower_id = fund.register()
    answer = client.post(
        f"/admin/v1/borrowers/{borrower_id}/limit-overrides", json=body, headers=staff["otieno"]
    )
    assert is_problem(answer, 422, "invalid_limit")
    approvals = client.get("/admin/v1/approvals", headers=staff["amina"]).json()
    assert approvals["items"] == []


def test_request_bodies_with_wrong_types_are_422_not_500(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    borrower_id = fund.register()
    path = f"/admin/v1/borrowers/{borrower_id}/limit-overrides"
    for body in ({"limit_minor": "8000", "reason": "ok!"}, {"limit_minor": True, "reason": "ok"}):
        answer = client.post(path, json=body, headers=staff["otieno"])
        assert is_problem(answer, 422), body
