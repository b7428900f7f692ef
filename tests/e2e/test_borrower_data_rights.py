"""A borrower's rights over their data, through the app, USSD and the staff API: consents
recorded and shown, disputes of bureau records opened and resolved under four eyes, and the
access export complete (every table that names a borrower) and isolated (nobody else's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import app.models
from app.crb.models import CrbDispute
from app.privacy.export import exported_tables
from tests.e2e.test_admin_roles import Headers, staff
from tests.e2e.test_app_api_support import AppWorld, bearer, key, open_app
from tests.e2e.test_ussd_dialler import Dialler, register
from tests.support.api import RecordingTaskQueue
from tests.support.crb import run_day
from tests.support.lending import KES, Fund

OTHER_ID, OTHER_PHONE = "22345670", "0712345670"
__all__ = ["staff"]  # a fixture


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        yield w


def problem(answer: Any) -> str:
    return str(answer.json()["type"]).removeprefix("urn:mkopo:problem:")


def borrow(world: AppWorld, tokens: dict[str, Any], amount_minor: int, idem: str) -> int:
    body = {"product_code": "personal", "amount_minor": amount_minor}
    answer = world.post("/loans", body, headers=bearer(tokens) | key(idem))
    assert answer.status_code == 201, answer.text
    world.run_payouts()
    return int(world.get("/loans", headers=bearer(tokens)).json()["items"][0]["id"])


def test_the_export_is_complete_and_holds_nobody_else(world: AppWorld) -> None:
    tokens = world.register()
    loan_id = borrow(world, tokens, 1_000 * KES, "mine")
    other = world.fund.register(OTHER_ID, OTHER_PHONE)
    world.fund.borrow(other, 700 * KES)
    other_account = world.fund.loan_of(other).account_number

    answer = world.get("/me/data", headers=bearer(tokens))
    assert answer.status_code == 200, answer.text
    data = answer.json()
    profile = data["profile"]
    assert (profile["national_id"], profile["phone"]) == ("12345670", "254712345678")
    assert profile["full_name"]
    assert profile["date_of_birth"]
    assert "pin_hash" not in profile
    assert "borrowers.pin_hash" in data["withheld_columns"]
    tables = data["tables"]
    assert [row["id"] for row in tables["loans"]] == [loan_id]
    assert tables["consents"][0]["channel"] == "app"
    assert tables["payouts"]
    assert tables["sms_outbox"]
    assert tables["limit_decisions"]
    assert tables["score_decisions"]
    assert tables["repayments"] == []

    text = json.dumps(data)
    for theirs in (OTHER_ID, OTHER_PHONE[1:], other_account, f'"borrower_id": {other}'):
        assert theirs not in text, theirs
    every = {t.name for t, _ in exported_tables(app.models.metadata.sorted_tables)}
    assert set(tables) == every
    assert {"loans", "loan_instalments", "repayments", "consents", "crb_disputes"} <= every
    owned = {"businesses", "business_limit_decisions", "group_members", "group_contributions"}
    assert owned <= every  # named by an owner's or a business's foreign key, whatever its name


def test_consents_are_recorded_by_channel_and_withdrawn_at_opt_out(
    world: AppWorld, staff: Headers
) -> None:
    tokens = world.register()
    consents = world.get("/me/consents", headers=bearer(tokens)).json()
    assert [(c["terms_version"], c["channel"], c["withdrawn_at"]) for c in consents] == [
        ("2026-01", "app", None)
    ]
    assert world.post("/me/opt-out", headers=bearer(tokens)).status_code == 200
    borrower_id = tokens["borrower_id"]
    answer = world.client.get(
        f"/admin/v1/borrowers/{borrower_id}/consents", headers=staff["wanjiku"]
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()[0]["withdrawn_at"] is not None


def test_disputes_through_the_app_and_support_resolved_under_four_eyes(
    world: AppWorld, staff: Headers
) -> None:
    tokens = world.register()
    body = {"product_code": "personal", "amount_minor": 800 * KES}
    assert world.post("/loans", body, headers=bearer(tokens) | key("a")).status_code == 201
    loan_id = int(world.get("/loans", headers=bearer(tokens)).json()["items"][0]["id"])
    complaint = {"loan_id": loan_id, "reason": "wrong_amount", "note": "I borrowed 500"}
    refused = world.post("/me/disputes", complaint, headers=bearer(tokens))
    assert (refused.status_code, problem(refused)) == (409, "loan_not_reported")
    world.run_payouts()
    opened = world.post("/me/disputes", complaint, headers=bearer(tokens))
    assert opened.status_code == 201, opened.text
    assert (opened.json()["channel"], opened.json()["status"]) == ("app", "open")
    again = world.post("/me/disputes", complaint, headers=bearer(tokens))
    assert (again.status_code, problem(again)) == (409, "dispute_open")
    other = world.fund.register(OTHER_ID, OTHER_PHONE)
    theirs = world.client.post(
        f"/admin/v1/borrowers/{other}/disputes",
        json={"loan_id": loan_id, "reason": "paid"},
        headers=staff["kamau"],
    )
    assert (theirs.status_code, problem(theirs)) == (404, "loan_not_found")
    listed = world.client.get(
        "/admin/v1/crb/disputes", params={"status": "open"}, headers=staff["kamau"]
    ).json()
    assert [d["id"] for d in listed] == [opened.json()["id"]]

    dispute_id = opened.json()["id"]
    by_support = world.client.post(
        f"/admin/v1/crb/disputes/{dispute_id}/resolutions",
        json={"outcome": "rejected", "reason": "The loan was KES 800"},
        headers=staff["kamau"],
    )
    assert by_support.status_code == 403
    asked = world.client.post(
        f"/admin/v1/crb/disputes/{dispute_id}/resolutions",
        json={"outcome": "rejected", "reason": "The loan was KES 800 as the statement shows"},
        headers=staff["otieno"],
    )
    assert asked.status_code == 201, asked.text
    approved = world.client.post(
        f"/admin/v1/approvals/{asked.json()['id']}/approve", headers=staff["amina"]
    )
    assert approved.status_code == 200, approved.text
    mine = world.get("/me/disputes", headers=bearer(tokens)).json()
    assert (mine[0]["status"], mine[0]["resolution_note"]) == (
        "rejected",
        "The loan was KES 800 as the statement shows",
    )


def test_staff_export_is_for_admins_and_support_and_audited(
    world: AppWorld, staff: Headers
) -> None:
    borrower_id = world.fund.register()
    path = f"/admin/v1/borrowers/{borrower_id}/data"
    for name, status in (("wanjiku", 403), ("otieno", 403), ("kamau", 200), ("amina", 200)):
        answer = world.client.get(path, headers=staff[name])
        assert answer.status_code == status, (name, answer.text)
    log = world.client.get(
        "/audit/v1/audit-log",
        params={"action": "borrower.data_exported"},
        headers=staff["wanjiku"],
    ).json()["items"]
    assert [(entry["actor"], entry["subject_id"]) for entry in log] == [
        ("kamau", str(borrower_id)),
        ("amina", str(borrower_id)),
    ]


def test_a_dispute_on_ussd(client: TestClient, fund: Fund, queue: RecordingTaskQueue) -> None:
    borrower_id = register(client, fund, queue)
    phone = Dialler(client)
    assert (
        phone.walk("5", "4") == "CON You have no loan the credit bureaus were told about.\n0. Back"
    )
    fund.borrow(borrower_id, 500 * KES)
    account = fund.loan_of(borrower_id).account_number
    assert phone.walk("5", "4") == (
        f"CON Which loan's credit record?\n1. {account} (active)\n0. Back"
    )
    assert phone.send("1").startswith("CON Why is the record wrong?\n1. I have paid")
    done = phone.send("1")
    assert done.startswith(f"END We have your dispute of loan {account}."), done
    with fund.sessions.reader() as session:
        found = session.scalars(select(CrbDispute)).one()
    assert (found.channel, found.reason, found.borrower_id) == ("ussd", "paid", borrower_id)
    assert Dialler(client).walk("5", "4", "1", "2") == (
        "CON A dispute of this loan is open already. We will reply by SMS.\n0. Back"
    )


def test_the_pre_listing_notice_is_shown_in_the_app(world: AppWorld, tmp_path: Path) -> None:
    tokens = world.register()
    borrower_id = int(tokens["borrower_id"])
    world.fund.borrow(borrower_id, 2_000 * KES)
    world.fund.days_pass(30)  # defaulted
    tokens = world.login()  # a month on: the first sign-in has expired
    assert world.get("/me/credit-bureau", headers=bearer(tokens)).json() == []
    run_day(world.fund, tmp_path)
    [notice] = world.get("/me/credit-bureau", headers=bearer(tokens)).json()
    loan = world.fund.loan_of(borrower_id)
    assert notice["account_number"] == loan.account_number
    assert notice["state"] == "notice_sent"
    assert notice["noticed_amount_minor"] == loan.outstanding_minor
    listing_on = date.fromisoformat(notice["listing_on"])
    assert (listing_on - date.fromisoformat(notice["notice_on"])).days == 30
