"""Four-eyes proposals made in the console (write-off, restructure, a dispute's resolution,
manual journal, float transfer): the makers the API admits ask, the same engine request
lands in the inbox, another officer approves it there; other roles are refused (403), bad
forms are a message with the API's status, never a 500."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.crb.disputes import Complaint, open_dispute
from app.crb.models import CrbDispute, DisputeChannel, DisputeReason
from app.lending.models import Loan, LoanStatus
from app.staff.models import Role
from ledger import Ledger
from tests.support.console_desk import (
    Desk,
    alert_of,
    console_user,
    open_desk,
    request_number,
    signed_in,
)
from tests.support.instalments import open_group_loan, travel_to
from tests.support.lending import KES, Fund


def _loan(fund: Fund, loan_id: int) -> Loan:
    with fund.sessions.reader() as session:
        loan = session.get(Loan, loan_id)
        assert loan is not None
        return loan


def _approve(desk: Desk, fund: Fund, number: int) -> str:
    csrf = signed_in(desk.client, desk.admin, fund)
    approved = desk.client.post(f"/console/approvals/{number}/approve", data={"csrf_token": csrf})
    assert approved.status_code == 200, alert_of(approved.text)
    return approved.text


def test_an_officer_asks_for_a_write_off_and_an_admin_approves_it(
    desk: Desk, fund: Fund, tmp_path: Path
) -> None:
    client, borrower_id = desk.client, desk.borrower_id
    fund.borrow(borrower_id, 1_000 * KES)
    loan_id = fund.loan_of(borrower_id).id
    signed_in(client, desk.officer, fund)
    page = client.get(f"/console/borrowers/{borrower_id}").text
    assert f"/console/loans/{loan_id}/write-off" not in page  # active: nothing to write off
    fund.days_pass(30)
    csrf = signed_in(client, desk.officer, fund)
    page = client.get(f"/console/borrowers/{borrower_id}").text
    assert f"/console/loans/{loan_id}/write-off" in page
    path = f"/console/loans/{loan_id}/write-off"
    short = client.post(path, data={"csrf_token": csrf, "reason": "x"})
    assert short.status_code == 422
    assert "Check the form" in short.text
    assert client.post("/console/loans/999/write-off", data={"csrf_token": csrf}).status_code == 404
    asked = client.post(path, data={"csrf_token": csrf, "reason": "unreachable for months"})
    assert asked.status_code == 200
    number = request_number(asked.text)
    assert client.post(path, data={"csrf_token": csrf, "reason": "again"}).status_code == 409
    support = console_user(fund, tmp_path, "sue", Role.SUPPORT)
    csrf = signed_in(client, support, fund)
    assert "write-off" not in client.get(f"/console/borrowers/{borrower_id}").text
    refused = client.post(path, data={"csrf_token": csrf, "reason": "unreachable"})
    assert refused.status_code == 403
    assert "approved: approved" in _approve(desk, fund, number)
    assert _loan(fund, loan_id).status == LoanStatus.WRITTEN_OFF


def test_an_instalment_loan_is_restructured_from_its_borrower_page(
    fund: Fund, tmp_path: Path
) -> None:
    borrower_id, loan_id = open_group_loan(fund)
    travel_to(fund, date(2026, 4, 20))
    with open_desk(fund, tmp_path, borrower_id) as desk:
        client = desk.client
        csrf = signed_in(client, desk.officer, fund)
        path = f"/console/loans/{loan_id}/restructure"
        assert path in client.get(f"/console/borrowers/{borrower_id}").text
        bad = client.post(
            path, data={"csrf_token": csrf, "instalments": "four", "reason": "harvest lost"}
        )
        assert bad.status_code == 422
        assert "whole number" in bad.text
        asked = client.post(
            path, data={"csrf_token": csrf, "instalments": "4", "reason": "harvest lost"}
        )
        number = request_number(asked.text)
        inbox = client.get("/console/approvals").text
        assert "loan_restructure" in inbox
        assert "first_total_minor" in inbox
        assert "approved: approved" in _approve(desk, fund, number)
        assert _loan(fund, loan_id).restructure_count == 1


def test_a_dispute_is_resolved_under_four_eyes_from_the_borrower_page(
    desk: Desk, fund: Fund
) -> None:
    client, borrower_id = desk.client, desk.borrower_id
    fund.borrow(borrower_id, 1_000 * KES)
    loan_id = fund.loan_of(borrower_id).id
    with fund.sessions.unit_of_work() as session:
        complaint = Complaint(
            borrower_id, loan_id, DisputeReason.PAID, "paid in cash", DisputeChannel.APP
        )
        dispute_id = open_dispute(session, complaint, fund.clock()).id
    csrf = signed_in(client, desk.officer, fund)
    page = client.get(f"/console/borrowers/{borrower_id}").text
    assert f"Dispute #{dispute_id}" in page
    assert "paid in cash" in page
    path = f"/console/disputes/{dispute_id}/resolution"
    unknown = client.post(path, data={"csrf_token": csrf, "outcome": "maybe", "reason": "seen"})
    assert unknown.status_code == 422
    asked = client.post(
        path, data={"csrf_token": csrf, "outcome": "rejected", "reason": "no receipt shown"}
    )
    number = request_number(asked.text)
    assert "approved: approved" in _approve(desk, fund, number)
    with fund.sessions.reader() as session:
        dispute = session.get(CrbDispute, dispute_id)
        assert dispute is not None
        assert dispute.status == "rejected"


def _posted(fund: Fund, code: str) -> int:
    with fund.sessions.reader() as session:
        return Ledger(session, fund.clock).account_by_code(code).balance.posted_minor


def test_an_admin_asks_for_a_journal_and_a_float_transfer_another_admin_approves(
    desk: Desk, fund: Fund, tmp_path: Path
) -> None:
    client = desk.client
    csrf = signed_in(client, desk.officer, fund)
    assert client.get("/console/fund-proposals").status_code == 403
    form = {"csrf_token": csrf, "debit": "1010", "credit": "3000", "amount_kes": "500"}
    journal = form | {"description": "Capital paid in", "reference": "V-001", "reason": "board"}
    assert client.post("/console/fund-proposals/journal", data=journal).status_code == 403
    maker = console_user(fund, tmp_path, "max", Role.ADMIN)
    csrf = signed_in(client, maker, fund)
    assert "Manual journal" in client.get("/console/fund-proposals").text
    journal["csrf_token"] = csrf
    other = client.post("/console/fund-proposals/journal", data=journal | {"credit": "2900"})
    assert "cannot take a manual journal" in other.text, alert_of(other.text)
    assert other.status_code >= 400
    float_before, capital_before = _posted(fund, "1010"), _posted(fund, "3000")
    number = request_number(client.post("/console/fund-proposals/journal", data=journal).text)
    transfer = {
        "csrf_token": csrf,
        "from_network": "safaricom",
        "to_network": "safaricom",
        "amount_kes": "100",
        "external_reference": "BANK-77",
        "reason": "rebalance",
    }
    lots = client.post(
        "/console/fund-proposals/float-transfer", data=transfer | {"amount_kes": "lots"}
    )
    assert lots.status_code == 422
    assert "Give the amount in KES" in lots.text
    refused = client.post("/console/fund-proposals/float-transfer", data=transfer)
    assert refused.status_code == 422
    assert "must differ" in refused.text
    moved = client.post(
        "/console/fund-proposals/float-transfer", data=transfer | {"to_network": "airtel"}
    )
    second = request_number(moved.text)
    assert "approved: approved" in _approve(desk, fund, number)
    assert _posted(fund, "1010") == float_before + 500 * KES
    assert _posted(fund, "3000") == capital_before + 500 * KES
    assert "approved: approved" in _approve(desk, fund, second)
    assert _posted(fund, "1011") == 100 * KES
