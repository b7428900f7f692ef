"""The group book in the console: the book's readers see a group's members and officials,
its scores and reasons, and an application's draw and its gate's decisions; support does
not; an unknown group is a 404 message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.groups.models import Schedule
from app.staff.models import Role
from tests.support.console_desk import Desk, console_user, open_desk, signed_in
from tests.support.groups import apply_for, decide, form_group
from tests.support.lending import Fund


@pytest.fixture
def desk(fund: Fund, tmp_path: Path) -> Iterator[Desk]:
    with open_desk(fund, tmp_path, borrower_id=0) as opened:
        yield opened


def test_readers_see_a_groups_members_score_and_applications(
    desk: Desk, fund: Fund, tmp_path: Path
) -> None:
    group = form_group(fund)
    applied = apply_for(fund, group, applicant=group.secretary, schedule=Schedule.LUMP_SUM)
    decide(fund, applied.drawn[0], applied.approval_request_id)
    client = desk.client
    signed_in(client, console_user(fund, tmp_path, "aud", Role.AUDITOR), fund)
    listed = client.get("/console/groups")
    assert listed.status_code == 200
    assert f"/console/groups/{group.group_id}" in listed.text
    assert "Umoja Traders" in listed.text
    page = client.get(f"/console/groups/{group.group_id}")
    assert page.status_code == 200
    members = page.text[page.text.index('class="members"') : page.text.index("<h2>Scores")]
    assert members.index("chair") < members.index("secretary") < members.index("treasurer")
    assert members.count("/console/borrowers/") == 10
    assert f"Application #{applied.id}" in page.text
    assert applied.draw_seed in page.text
    gate = page.text[page.text.index('class="gate"') :]
    assert f"request #{applied.approval_request_id}" in gate
    assert "<td>approve" in gate.replace("<td>approved", "")
    assert client.get("/console/groups/999").status_code == 404
    signed_in(client, console_user(fund, tmp_path, "sue", Role.SUPPORT), fund)
    assert client.get("/console/groups").status_code == 403
    assert client.get(f"/console/groups/{group.group_id}").status_code == 403
