"""The credit bureau in the console: files and open rejections for the book's readers, the
disputes queue for every role, a dispute opened by support on a borrower's behalf (not by an
auditor), and the borrower's consents and access export (admins and support only, audited)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from app.audit.models import AuditRecord
from app.staff.models import Role
from tests.e2e.test_crb_admin import a_rejected_file
from tests.support.console_desk import Desk, alert_of, console_user, signed_in
from tests.support.lending import KES, Fund


def test_readers_see_the_bureau_files_and_rejections_support_does_not(
    desk: Desk, fund: Fund, tmp_path: Path
) -> None:
    name = a_rejected_file(fund, tmp_path / "bureaus")
    client = desk.client
    signed_in(client, console_user(fund, tmp_path, "aud", Role.AUDITOR), fund)
    page = client.get("/console/crb")
    assert page.status_code == 200
    assert name in page.text
    assert "NATIONAL_ID" not in page.text  # a rejection names a field, never the record
    signed_in(client, console_user(fund, tmp_path, "sue", Role.SUPPORT), fund)
    assert client.get("/console/crb").status_code == 403
    assert client.get("/console/crb/disputes").status_code == 200
    assert client.get("/console/crb/disputes?status=closed").status_code == 422


def test_support_opens_a_dispute_and_exports_the_borrowers_data(
    desk: Desk, fund: Fund, tmp_path: Path
) -> None:
    client, borrower_id = desk.client, desk.borrower_id
    fund.borrow(borrower_id, 1_000 * KES)
    loan_id = fund.loan_of(borrower_id).id
    path = f"/console/borrowers/{borrower_id}/disputes"
    complaint = {"loan_id": str(loan_id), "reason": "paid", "note": "paid at the branch"}

    csrf = signed_in(client, console_user(fund, tmp_path, "aud", Role.AUDITOR), fund)
    page = client.get(f"/console/borrowers/{borrower_id}").text
    assert "Open a dispute" not in page
    assert "data-export" not in page
    assert "2026-01" in page  # the consent, as every role reads it
    assert client.post(path, data=complaint | {"csrf_token": csrf}).status_code == 403
    assert client.get(f"/console/borrowers/{borrower_id}/data.json").status_code == 403

    csrf = signed_in(client, console_user(fund, tmp_path, "sue", Role.SUPPORT), fund)
    page = client.get(f"/console/borrowers/{borrower_id}").text
    assert "Open a dispute" in page
    assert "Ask to resolve" not in page
    bad = client.post(path, data=complaint | {"csrf_token": csrf, "reason": "angry"})
    assert bad.status_code == 422
    opened = client.post(path, data=complaint | {"csrf_token": csrf})
    assert opened.status_code == 200, alert_of(opened.text)
    assert "Dispute #1 opened" in opened.text
    again = client.post(path, data=complaint | {"csrf_token": csrf})
    assert again.status_code == 409
    queue = client.get("/console/crb/disputes").text
    assert f"/console/borrowers/{borrower_id}#dispute-1" in queue

    export = client.get(f"/console/borrowers/{borrower_id}/data.json")
    assert export.status_code == 200
    assert "attachment" in export.headers["content-disposition"]
    data = json.loads(export.text)
    assert "crb_disputes" in json.dumps(data)
    with fund.sessions.reader() as session:
        actions = session.scalars(select(AuditRecord.action)).all()
    assert "crb.dispute_opened" in actions
    assert "borrower.data_exported" in actions
    assert client.get("/console/borrowers/999/data.json").status_code == 404
