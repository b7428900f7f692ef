"""Scorecards in the console: the book's readers list, read and compare versions (the band
chart drawn as inline SVG); a maker asks for a draft's activation, another admin approves
it in the inbox; support cannot read them, an auditor cannot ask."""

from __future__ import annotations

from pathlib import Path

from app.scoring.models import ScorecardVersion
from app.staff.models import Role
from tests.support.console_desk import (
    Desk,
    alert_of,
    console_user,
    request_number,
    signed_in,
)
from tests.support.lending import Fund
from tests.support.scoring import store_active, store_draft


def test_versions_are_compared_and_a_draft_activated_under_four_eyes(
    desk: Desk, fund: Fund, tmp_path: Path
) -> None:
    with fund.sessions.unit_of_work() as session:
        active = store_active(session, fund.clock()).id
        draft = store_draft(session, fund.clock()).id
    fund.register(national_id="23456781", phone="0722345673")
    client = desk.client
    signed_in(client, console_user(fund, tmp_path, "sue", Role.SUPPORT), fund)
    assert client.get("/console/scorecards").status_code == 403
    csrf = signed_in(client, console_user(fund, tmp_path, "aud", Role.AUDITOR), fund)
    listed = client.get("/console/scorecards").text
    assert f"/console/scorecards/{draft}" in listed
    detail = client.get(f"/console/scorecards/{draft}").text
    assert "B1 ≥ 600" in detail
    assert "Ask for this version to go live" not in detail
    path = f"/console/scorecards/{draft}/activation"
    assert client.post(path, data={"csrf_token": csrf, "reason": "better"}).status_code == 403
    compared = client.get(f"/console/scorecards/compare?base={active}&candidate={draft}")
    assert compared.status_code == 200
    assert "On the latest 2 scored borrowers: 0.0% change band" in compared.text
    assert compared.text.count('<svg class="chart"') == 1
    assert client.get(f"/console/scorecards/compare?base={active}&candidate=999").status_code == 404

    csrf = signed_in(client, desk.officer, fund)
    asked = client.post(path, data={"csrf_token": csrf, "reason": "Better on the sample"})
    assert asked.status_code == 200, alert_of(asked.text)
    number = request_number(asked.text)
    csrf = signed_in(client, desk.admin, fund)
    approved = client.post(f"/console/approvals/{number}/approve", data={"csrf_token": csrf})
    assert "approved: approved" in approved.text
    with fund.sessions.reader() as session:
        version = session.get(ScorecardVersion, draft)
        assert version is not None
        assert version.status == "active"
