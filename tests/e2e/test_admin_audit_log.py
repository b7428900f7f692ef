"""The audit log over HTTP (``/audit/v1/audit-log``): what staff did, filtered and paged;
verification that names a tampered record; reversals and the staff list audited too."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db.engine import Database
from tests.e2e.test_admin_roles import Headers, client, is_problem, staff
from tests.integration.test_audit_log import tamper
from tests.integration.test_mpesa_processing import c2b, deliver
from tests.support.lending import KES, Fund

__all__ = ["client", "staff"]
LOG = "/audit/v1/audit-log"


def some_actions(client: TestClient, fund: Fund, staff: Headers) -> int:
    """Freeze (officer) at 07:00, unfreeze (admin) at 08:00, limit override asked (officer)
    and approved (admin) at 09:00: 5 records."""
    borrower_id = fund.register()
    path = f"/admin/v1/borrowers/{borrower_id}"
    client.post(f"{path}/freeze", json={"reason": "fraud report"}, headers=staff["otieno"])
    fund.clock.advance(hours=1)
    client.post(f"{path}/unfreeze", json={"reason": "cleared"}, headers=staff["amina"])
    fund.clock.advance(hours=1)
    asked = client.post(
        f"{path}/limit-overrides",
        json={"limit_minor": 5_000 * KES, "reason": "Payslip seen"},
        headers=staff["otieno"],
    ).json()
    client.post(f"/admin/v1/approvals/{asked['id']}/approve", headers=staff["amina"])
    return borrower_id


def actions(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r["action"] for r in answer.json()["items"]]


def test_the_log_is_filtered_by_actor_action_subject_and_time(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    borrower_id = some_actions(client, fund, staff)
    read = staff["wanjiku"]
    everything = client.get(LOG, headers=read).json()["items"]
    assert [r["action"] for r in everything] == [
        "borrower.freeze",
        "borrower.unfreeze",
        "approval.request",
        "approval.approve",
        "borrower.limit_override",
    ]
    assert [r["id"] for r in everything] == [1, 2, 3, 4, 5]
    assert all(r["request_id"] for r in everything)  # each names its HTTP request
    assert actions(client.get(LOG, params={"actor": "otieno"}, headers=read)) == [
        "borrower.freeze",
        "approval.request",
    ]
    assert actions(client.get(LOG, params={"action": "borrower.unfreeze"}, headers=read)) == [
        "borrower.unfreeze"
    ]
    subject = {"subject_type": "borrower", "subject_id": str(borrower_id)}
    assert actions(client.get(LOG, params=subject, headers=read)) == [
        "borrower.freeze",
        "borrower.unfreeze",
        "borrower.limit_override",
    ]
    window = {"since": "2026-03-02T08:00:00Z", "until": "2026-03-02T09:00:00+00:00"}
    assert actions(client.get(LOG, params=window, headers=read)) == ["borrower.unfreeze"]
    # the auditor's own queries are recorded too: the five above, then this one
    mine = client.get(LOG, params={"action": "audit_log.query"}, headers=staff["amina"])
    assert actions(mine) == ["audit_log.query"] * 5
    assert mine.json()["items"][0]["after"]["filters"] == {}
    assert mine.json()["items"][1]["after"]["filters"] == {"actor": "otieno"}


def test_the_log_pages_by_id_within_a_cap(client: TestClient, fund: Fund, staff: Headers) -> None:
    some_actions(client, fund, staff)
    read = staff["wanjiku"]
    first = client.get(LOG, params={"limit": 2, "action": "borrower.freeze"}, headers=read)
    assert first.json()["next_after_id"] is None  # one match, under the limit
    page = client.get(LOG, params={"limit": 2}, headers=read).json()
    assert ([r["id"] for r in page["items"]], page["next_after_id"]) == ([1, 2], 2)
    rest = client.get(LOG, params={"limit": 2, "after_id": 4}, headers=read).json()
    assert [r["id"] for r in rest["items"]][:1] == [5]
    for bad in ({"limit": 501}, {"limit": 0}, {"after_id": -1}):
        assert is_problem(client.get(LOG, params=bad, headers=read), 422), bad
    naive = client.get(LOG, params={"since": "2026-03-02T08:00:00"}, headers=read)
    assert is_problem(naive, 400, "naive_datetime")


def test_verify_says_ok_then_names_a_record_changed_behind_the_triggers(
    client: TestClient, fund: Fund, staff: Headers, database: Database
) -> None:
    some_actions(client, fund, staff)
    verified = client.get(f"{LOG}/verify", headers=staff["wanjiku"])
    assert verified.status_code == 200, verified.text
    assert verified.json()["ok"] is True
    assert verified.json()["records_checked"] == 5
    assert verified.json()["first_break"] is None
    with database.write_engine.begin() as conn:
        records = conn.execute(text("SELECT count(*) FROM audit_log")).scalar()
    assert records == 6  # the five actions and the verification itself
    tamper(database, "UPDATE audit_log SET after = NULL WHERE id = 5")
    broken = client.get(f"{LOG}/verify", headers=staff["amina"]).json()
    assert broken["ok"] is False
    assert broken["first_break"]["position"] == 5
    assert broken["first_break"]["problem"] == "content_changed"
    assert broken["records_checked"] == 4
    last = client.get(LOG, params={"action": "audit_log.verify"}, headers=staff["amina"]).json()
    assert [r["after"]["ok"] for r in last["items"]] == [True, False]


def test_reversal_requests_and_decisions_are_audited(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    deliver(fund, "c2b/confirmation", c2b("NOBODY", "300", "TC2B0000A9"))
    body = {"receipt": "TC2B0000A9", "reason": "Paid the wrong paybill"}
    first = client.post("/admin/v1/reversals", json=body, headers=staff["otieno"]).json()
    client.post(f"/admin/v1/reversals/{first['id']}/reject", headers=staff["otieno"])
    second = client.post("/admin/v1/reversals", json=body, headers=staff["otieno"]).json()
    refused = client.post(f"/admin/v1/reversals/{second['id']}/approve", headers=staff["otieno"])
    assert refused.status_code == 403
    client.post(f"/admin/v1/reversals/{second['id']}/approve", headers=staff["amina"])
    records = client.get(LOG, params={"subject_type": "reversal"}, headers=staff["wanjiku"])
    assert [(r["action"], r["actor"], r["subject_id"]) for r in records.json()["items"]] == [
        ("reversal.request", "otieno", str(first["id"])),
        ("reversal.withdraw", "otieno", str(first["id"])),
        ("reversal.request", "otieno", str(second["id"])),
        ("reversal.approve", "amina", str(second["id"])),
    ]
    approved = records.json()["items"][-1]
    assert approved["before"] == {"status": "requested"}
    assert approved["after"]["status"] == "approved"
    assert approved["after"]["approved_by"] == "amina"


def test_the_staff_list_shows_roles_and_never_tokens(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    answer = client.get("/admin/v1/staff", headers=staff["wanjiku"])
    assert answer.status_code == 200, answer.text
    assert {(u["username"], u["role"]) for u in answer.json()} == {
        ("amina", "admin"),
        ("baraka", "admin"),
        ("otieno", "credit_officer"),
        ("wanjiku", "auditor"),
        ("kamau", "support"),
    }
    assert "token" not in answer.text
    assert "mks_" not in answer.text
