"""Segregation of duties in reconciliation, over HTTP: auditors read, run reconciliations and
investigate; moving money to resolve an exception is proposed by one operations person
(admin or credit officer) and approved by another, never by an auditor or support.

The attack of the hardening issue, replayed: an auditor uploads a statement with an invented
KES 50 paid-in line, proposes ``assign_to_loan``, and a second auditor approves it. Neither
step may go through, and the borrower's debt must not move."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db.session import Sessions
from app.lending.models import Loan
from app.staff.models import Role
from ledger.schema import JournalEntry
from tests.e2e import test_reconciliation_api as api
from tests.e2e.test_reconciliation_api import EXCEPTIONS, upload, work_off
from tests.integration.test_reconciliation_day import Day, script_day, scripted_fund
from tests.support.api import RecordingTaskQueue, bearer, staff_token
from tests.support.lending import KES

RESOLUTIONS = "/audit/v1/reconciliation-resolutions"
INVENTED = "RFAKE00050"
client, tasks = api.client, api.tasks  # the API tests' fixtures, over this module's ``day``


@pytest.fixture
def day(sessions: Sessions, tmp_path: Path) -> Day:
    day = script_day(scripted_fund(sessions, tmp_path))
    account = day.loans["zawadi"].account_number
    day.paid_in(INVENTED, "zawadi", 50 * KES, 13, account, stk=False)  # never happened
    return day


def staff(day: Day) -> dict[str, dict[str, str]]:
    fund = day.fund
    return {
        name: bearer(staff_token(fund.sessions, fund.clock, name, role))
        for name, role in [
            ("auditor1", Role.AUDITOR),
            ("auditor2", Role.AUDITOR),
            ("support1", Role.SUPPORT),
            ("officer1", Role.CREDIT_OFFICER),
            ("admin1", Role.ADMIN),
        ]
    }


def owed_and_entries(day: Day) -> tuple[int, int]:
    with day.fund.sessions.reader() as session:
        loan = session.get(Loan, day.loans["zawadi"].id)
        assert loan is not None
        entries = session.scalar(select(func.count()).select_from(JournalEntry))
        return loan.outstanding_minor, int(entries or 0)


def test_two_auditors_cannot_assign_an_invented_payment_to_a_loan(
    client: TestClient, day: Day, tasks: RecordingTaskQueue
) -> None:
    who = staff(day)
    started = upload(client, day.statement_csv(), who["auditor1"])
    assert started.status_code == 202, started.text  # type: ignore[attr-defined]
    work_off(day, tasks)
    found = client.get(
        f"{EXCEPTIONS}", params={"kind": "missing_in_ledger"}, headers=who["auditor1"]
    ).json()
    invented = next(x for x in found if x["receipt"] == INVENTED)
    looked = client.post(
        f"{EXCEPTIONS}/{invented['id']}/investigate",
        json={"note": "On the statement, not in the ledger"},
        headers=who["auditor1"],
    )
    assert looked.status_code == 200, looked.text  # auditors investigate
    before = owed_and_entries(day)
    assign = {
        "action": "assign_to_loan",
        "loan_id": day.loans["zawadi"].id,
        "note": "Payment for zawadi's loan",
    }
    for reader in ("auditor1", "auditor2", "support1"):
        proposed = client.post(
            f"{EXCEPTIONS}/{invented['id']}/resolutions", json=assign, headers=who[reader]
        )
        assert proposed.status_code == 403, (reader, proposed.text)

    by_officer = client.post(
        f"{EXCEPTIONS}/{invented['id']}/resolutions", json=assign, headers=who["officer1"]
    )
    assert by_officer.status_code == 201, by_officer.text
    resolution = by_officer.json()["id"]
    for reader in ("auditor1", "auditor2", "support1"):
        approved = client.post(f"{RESOLUTIONS}/{resolution}/approve", headers=who[reader])
        assert approved.status_code == 403, (reader, approved.text)
        rejected = client.post(
            f"{RESOLUTIONS}/{resolution}/reject", json={"note": "no"}, headers=who[reader]
        )
        assert rejected.status_code == 403, (reader, rejected.text)
    assert owed_and_entries(day) == before  # no entry, the debt as it was

    detail = client.get(f"{EXCEPTIONS}/{invented['id']}", headers=who["auditor1"]).json()
    assert [(r["status"], r["proposed_by"]) for r in detail["resolutions"]] == [
        ("proposed", "officer1")
    ]
    rejected = client.post(
        f"{RESOLUTIONS}/{resolution}/reject",
        json={"note": "Invented line: no such payment"},
        headers=who["admin1"],
    )
    assert rejected.json()["status"] == "rejected", rejected.text
    assert owed_and_entries(day) == before


def test_operations_staff_resolve_under_four_eyes_and_the_audit_log_names_both(
    client: TestClient, day: Day, tasks: RecordingTaskQueue
) -> None:
    who = staff(day)
    upload(client, day.statement_csv(), who["auditor1"])
    work_off(day, tasks)
    found = client.get(f"{EXCEPTIONS}", headers=who["officer1"]).json()
    lost = next(x for x in found if x["receipt"] == "RC2B000002")  # a real, lost payment
    owed_before, entries_before = owed_and_entries(day)
    body = {"action": "post_callback", "note": "Confirmation lost; the statement shows it"}
    proposed = client.post(
        f"{EXCEPTIONS}/{lost['id']}/resolutions", json=body, headers=who["officer1"]
    )
    assert proposed.status_code == 201, proposed.text
    resolution = proposed.json()["id"]
    own = client.post(f"{RESOLUTIONS}/{resolution}/approve", headers=who["officer1"])
    assert (own.status_code, own.json()["type"]) == (403, "urn:mkopo:problem:four_eyes")
    approved = client.post(f"{RESOLUTIONS}/{resolution}/approve", headers=who["admin1"])
    assert approved.json()["status"] == "approved", approved.text
    owed_after, entries_after = owed_and_entries(day)
    # KES 700 paid what zawadi owed (the rest goes to her credit balance).
    assert (owed_after, owed_before > 0, entries_after > entries_before) == (0, True, True)

    log = client.get(
        "/audit/v1/audit-log",
        params={"subject_type": "recon_exception", "subject_id": str(lost["id"])},
        headers=who["auditor1"],
    ).json()
    steps = [(r["action"], r["actor"], r["role"]) for r in log["items"]]
    assert ("reconciliation.propose", "officer1", "credit_officer") in steps
    assert ("reconciliation.approve", "admin1", "admin") in steps
