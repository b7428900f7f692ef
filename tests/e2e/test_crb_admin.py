"""``/admin/v1/crb``: the book's readers see the submissions and the records a bureau
refused; support staff do not."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.crb.export import BureauFile, FileKind
from app.crb.submissions import read_acknowledgements, submit
from integrations.crb.folders import BureauFolder
from integrations.crb.simulator import SimulatedBureau
from integrations.crb.template import FileType, file_name, header
from tests.e2e.test_admin_roles import Headers, client, is_problem, staff
from tests.support.lending import Fund

__all__ = ["client", "staff"]


def a_rejected_file(fund: Fund, root: Path) -> str:
    day = fund.clock().date()
    name = file_name("creditinfo", FileType.CONSUMER, "daily", f"{day:%Y%m%d}")
    data = f"{header(FileType.CONSUMER)}\nMKOPO|1|NATIONAL_ID\n".encode()
    bad = BureauFile("creditinfo", FileType.CONSUMER, name, data, 1, day, FileKind.DAILY)
    with fund.sessions.unit_of_work() as session:
        submit(session, [bad], root, fund.clock())
    SimulatedBureau(BureauFolder(root, "creditinfo")).process()
    with fund.sessions.unit_of_work() as session:
        read_acknowledgements(session, root, fund.clock())
    return name


def test_readers_see_submissions_and_open_rejections(
    fund: Fund, client: TestClient, staff: Headers, tmp_path: Path
) -> None:
    name = a_rejected_file(fund, tmp_path)
    sent = client.get("/admin/v1/crb/submissions", headers=staff["wanjiku"])
    assert sent.status_code == 200, sent.text
    assert [(s["file_name"], s["status"], s["rejections"]) for s in sent.json()] == [
        (name, "rejected", 1)
    ]
    refused = client.get("/admin/v1/crb/rejections", headers=staff["otieno"])
    assert refused.status_code == 200, refused.text
    assert [(r["file"], r["record"], r["field"]) for r in refused.json()] == [(name, 1, "record")]
    assert is_problem(client.get("/admin/v1/crb/rejections", headers=staff["kamau"]), 403)
    assert is_problem(
        client.get("/admin/v1/crb/submissions", params={"limit": 0}, headers=staff["amina"]), 422
    )
