"""Scoring through the interfaces: staff read, compare and activate scorecard versions (four
eyes), see a borrower's decisions and ask for a rescore; the borrower sees why their limit is
what it is in the app and over USSD."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.lending.limits import LimitPolicy
from app.scoring.schedule import rescore_due
from tests.e2e.test_admin_roles import Headers, client, is_problem, staff
from tests.e2e.test_app_api_support import AppWorld, bearer, open_app
from tests.e2e.test_ussd_dialler import Dialler, client_for, register
from tests.support.api import RecordingTaskQueue
from tests.support.lending import Fund
from tests.support.scoring import store_active, store_draft

__all__ = ["client", "staff"]


def drafts(fund: Fund, count: int) -> list[int]:
    with fund.sessions.unit_of_work() as session:
        return [store_draft(session, fund.clock()).id for _ in range(count)]


def activate(fund: Fund) -> None:
    with fund.sessions.unit_of_work() as session:
        store_active(session, fund.clock())


def test_an_officer_asks_for_a_version_to_go_live_and_an_admin_approves_it(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    [version_id] = drafts(fund, 1)
    assert is_problem(client.get("/admin/v1/scorecards", headers=staff["kamau"]), 403)
    listed = client.get("/admin/v1/scorecards", headers=staff["otieno"])
    assert listed.status_code == 200, listed.text
    assert [(v["id"], v["status"]) for v in listed.json()] == [(version_id, "draft")]
    detail = client.get(f"/admin/v1/scorecards/{version_id}", headers=staff["wanjiku"]).json()
    assert detail["features"]
    assert all(f["label"] and f["bins"] for f in detail["features"])
    assert detail["band_cutoffs"]["B1"] == 600

    path = f"/admin/v1/scorecards/{version_id}/activation"
    body = {"reason": "Better on the simulated portfolio"}
    assert is_problem(client.post(path, json=body, headers=staff["kamau"]), 403)
    asked = client.post(path, json=body, headers=staff["otieno"])
    assert asked.status_code == 201, asked.text
    approval_id = asked.json()["id"]
    approve = f"/admin/v1/approvals/{approval_id}/approve"
    assert is_problem(client.post(approve, headers=staff["otieno"]), 403)
    approved = client.post(approve, headers=staff["amina"])
    assert approved.status_code == 200, approved.text
    active = client.get(f"/admin/v1/scorecards/{version_id}", headers=staff["otieno"]).json()
    assert (active["status"], active["activated_by"]) == ("active", "amina")
    assert is_problem(client.get("/admin/v1/scorecards/999", headers=staff["otieno"]), 404)


def test_two_versions_are_compared_on_the_latest_scored_borrowers(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    activate(fund)
    fund.register()
    fund.register(national_id="23456781", phone="0722345673")
    base, candidate = drafts(fund, 2)
    answer = client.get(
        "/admin/v1/scorecards/compare",
        params={"base": base, "candidate": candidate},
        headers=staff["wanjiku"],
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["borrowers_compared"] == 2
    assert abs(sum(result["base_band_shares"].values()) - 1) < 0.001
    assert (result["band_changed_share"], result["mean_points_shift"]) == (0.0, 0.0)  # same card


def test_staff_see_a_borrowers_decisions_and_ask_for_a_rescore(
    client: TestClient, fund: Fund, staff: Headers
) -> None:
    activate(fund)
    borrower_id = fund.register()
    path = f"/admin/v1/borrowers/{borrower_id}/score-decisions"
    [decision] = client.get(path, headers=staff["kamau"]).json()
    assert (decision["trigger"], decision["treatment"]) == ("registration", "scorecard")
    assert decision["reasons"]
    assert decision["features"]["thin_file"] == "no"
    audited = client.get(
        "/audit/v1/audit-log",
        params={"action": "borrower.view_decisions"},
        headers=staff["wanjiku"],
    ).json()["items"]
    assert [a["actor"] for a in audited] == ["kamau"]

    rescore = f"/admin/v1/borrowers/{borrower_id}/rescore"
    body = {"reason": "Borrower disputes the limit"}
    assert is_problem(client.post(rescore, json=body, headers=staff["kamau"]), 403)
    assert client.post(rescore, json=body, headers=staff["otieno"]).status_code == 202
    assert rescore_due(fund.sessions, fund.ports, fund.clock, LimitPolicy()).scored == 1
    newest = client.get(path, headers=staff["kamau"]).json()[0]
    assert newest["trigger"] == "staff"


@pytest.fixture
def world(fund: Fund, tmp_path: Path) -> Iterator[AppWorld]:
    with open_app(fund, tmp_path) as w:
        yield w


def test_the_borrower_reads_why_their_limit_is_what_it_is(world: AppWorld) -> None:
    activate(world.fund)
    auth = bearer(world.register())
    score = world.get("/me/score", headers=auth)
    assert score.status_code == 200, score.text
    body = score.json()
    assert body["how"] == "scorecard"
    assert body["band"] is not None
    assert body["limit_minor"] == body["decided_limit_minor"] > 0
    assert body["reasons"]
    assert all(isinstance(r, str) and "_" not in r for r in body["reasons"])  # plain words
    assert body["next_review_at"] is not None


def test_over_ussd_my_account_says_why_this_limit(fund: Fund, tmp_path: Path) -> None:
    activate(fund)
    queue = RecordingTaskQueue()
    with client_for(fund, tmp_path, queue) as ussd:
        borrower_id = register(ussd, fund, queue)
        borrower = fund.borrower(borrower_id)
        reply = Dialler(ussd).walk("5", "3")
    assert reply.startswith(f"CON Limit KES {borrower.credit_limit_minor // 100:,}.00, band ")
    assert "What lowers it:\n-" in reply
    assert reply.endswith("0. Back")
    assert len(reply) <= 182
